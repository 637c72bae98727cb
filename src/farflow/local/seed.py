"""Creates on the local endpoint what `farflow deploy` creates on AWS: network, cluster, log groups,
the Airflow task definition and one task definition per `tasks/<name>` folder of the project.

The definitions are built by pure functions (easy to test and to compare with the deploy side); only
`seed()` talks to the endpoint.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3

from farflow.local.environment import (
    AIRFLOW_CONTAINER,
    AIRFLOW_FAMILY,
    AIRFLOW_IMAGE,
    AIRFLOW_LOG_GROUP,
    CLUSTER,
    DUMMY_CREDENTIALS,
    TASK_DEFINITION_PREFIX,
    TASK_LOG_GROUP,
    Network,
)

TASK_IMAGE_REPOSITORY = "farflow-local"
STREAM_PREFIX = "ecs"
_FAMILY_NAME = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


class SeedError(ValueError):
    """A project folder cannot become a task definition; the message names the folder and the fix."""


def dockerfile_command(text: str) -> list[str] | None:
    """The last CMD of a Dockerfile as an argv (exec form or shell form), or None if it has none."""
    command: list[str] | None = None
    for line in text.replace("\\\n", " ").splitlines():
        stripped = line.strip()
        if not stripped.upper().startswith("CMD "):
            continue
        argument = stripped[4:].strip()
        if argument.startswith("["):
            try:
                parsed = json.loads(argument)
            except json.JSONDecodeError:
                parsed = None
            command = [str(part) for part in parsed] if isinstance(parsed, list) else shlex.split(argument)
        else:
            command = ["/bin/sh", "-c", argument]
    return command


def _awslogs(group: str, prefix: str, region: str) -> dict[str, Any]:
    return {
        "logDriver": "awslogs",
        "options": {"awslogs-group": group, "awslogs-region": region, "awslogs-stream-prefix": prefix},
    }


def _fargate(family: str, cpu: int, memory: int, container: dict[str, Any]) -> dict[str, Any]:
    return {
        "family": family,
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": str(cpu),
        "memory": str(memory),
        "containerDefinitions": [container],
    }


def airflow_task_definition(environment: Mapping[str, str], region: str) -> dict[str, Any]:
    """RegisterTaskDefinition kwargs for the task definition farflow's executor runs Airflow tasks in."""
    return _fargate(
        AIRFLOW_FAMILY,
        1024,
        2048,
        {
            "name": AIRFLOW_CONTAINER,
            "image": AIRFLOW_IMAGE,
            "essential": True,
            "command": ["python", "-m", "airflow.sdk.execution_time.execute_workload", "--help"],
            "environment": [{"name": key, "value": environment[key]} for key in sorted(environment)],
            "logConfiguration": _awslogs(AIRFLOW_LOG_GROUP, "airflow", region),
            "stopTimeout": 30,
        },
    )


def task_folders(project: Path) -> list[Path]:
    """`tasks/<name>` folders that hold a Dockerfile, sorted by name."""
    tasks = project / "tasks"
    if not tasks.is_dir():
        return []
    return sorted(folder for folder in tasks.iterdir() if (folder / "Dockerfile").is_file())


def task_image(name: str) -> str:
    """The image name for tasks/<name>: its last path segment names the folder (see docs/local.md)."""
    return f"{TASK_IMAGE_REPOSITORY}/{name}:latest"


def folder_task_definition(folder: Path, region: str) -> dict[str, Any]:
    """RegisterTaskDefinition kwargs for one tasks/<name> folder: container <name>, its Dockerfile's CMD."""
    name = folder.name
    if not _FAMILY_NAME.match(name):
        raise SeedError(
            f"Task folder {folder} cannot name an ECS task definition: use only letters, digits, '-' and "
            "'_' (at most 200 characters). Rename the folder."
        )
    container: dict[str, Any] = {
        "name": name,
        "image": task_image(name),
        "essential": True,
        "logConfiguration": _awslogs(TASK_LOG_GROUP, STREAM_PREFIX, region),
        "stopTimeout": 10,
    }
    command = dockerfile_command((folder / "Dockerfile").read_text())
    if command:
        container["command"] = command
    return _fargate(f"{TASK_DEFINITION_PREFIX}{name}", 256, 512, container)


def _client(service: str, endpoint_url: str, region: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def seed_network(endpoint_url: str, region: str) -> Network:
    """Create VPC, subnet, security group, cluster and log groups on the endpoint."""
    ec2 = _client("ec2", endpoint_url, region)
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    # moto refuses awsvpc tasks in a VPC without DNS hostnames.
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(
        GroupName="farflow-tasks", Description="farflow local tasks", VpcId=vpc_id
    )["GroupId"]
    _client("ecs", endpoint_url, region).create_cluster(clusterName=CLUSTER)
    logs = _client("logs", endpoint_url, region)
    existing = {g["logGroupName"] for g in logs.describe_log_groups().get("logGroups", [])}
    for log_group in (AIRFLOW_LOG_GROUP, TASK_LOG_GROUP):
        if log_group not in existing:
            logs.create_log_group(logGroupName=log_group)
    return Network(subnets=(subnet,), security_groups=(group,), cluster=CLUSTER)


def seed_task_definitions(
    endpoint_url: str, region: str, airflow_environment: Mapping[str, str], project: Path
) -> list[str]:
    """Register the Airflow task definition and one per tasks/<name> folder; return their families."""
    definitions = [airflow_task_definition(airflow_environment, region)]
    definitions += [folder_task_definition(folder, region) for folder in task_folders(project)]
    ecs = _client("ecs", endpoint_url, region)
    for definition in definitions:
        ecs.register_task_definition(**definition)
    return [definition["family"] for definition in definitions]
