"""A running local ECS endpoint with a network and cluster, and helpers to run tasks on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from farflow.local.endpoint import FaultSettings, ImageResolver, LocalEcsEndpoint
from farflow.spec import CAPACITY_PROVIDERS
from tests.support.polling import wait_until

CLUSTER = "local-test"
LOG_GROUP = "/farflow/local-test"
AIRFLOW_IMAGE = "apache/airflow:3.3.2"


@dataclass
class Local:
    """One endpoint, seeded like an AWS account: VPC (with DNS hostnames), subnet, cluster, log group."""

    endpoint: LocalEcsEndpoint
    subnet: str

    def __post_init__(self) -> None:
        self.ecs = self.endpoint.client("ecs")
        self.logs = self.endpoint.client("logs")

    def register(
        self,
        command: list[str] | None,
        *,
        family: str = "probe",
        image: str = AIRFLOW_IMAGE,
        log_group: str = LOG_GROUP,
        create_group: bool = False,
        **container: Any,
    ) -> str:
        """A Fargate task definition with one container (no container-level memory, as on Fargate)."""
        options = {"awslogs-group": log_group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs"}
        if create_group:
            options["awslogs-create-group"] = "true"
        definition = {
            "name": "main",
            "image": image,
            "essential": True,
            "logConfiguration": {"logDriver": "awslogs", "options": options},
            **({"command": command} if command else {}),
            **container,
        }
        response = self.ecs.register_task_definition(
            family=family,
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
            containerDefinitions=[definition],
        )
        return str(response["taskDefinition"]["taskDefinitionArn"])

    def run(self, task_definition: str, **kwargs: Any) -> dict[str, Any]:
        request: dict[str, Any] = {
            "cluster": CLUSTER,
            "taskDefinition": task_definition,
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": [self.subnet]}},
        }
        if "capacityProviderStrategy" not in kwargs:
            request["launchType"] = "FARGATE"
        return dict(self.ecs.run_task(**{**request, **kwargs}))

    def launch(self, command: list[str], **kwargs: Any) -> str:
        """Register a definition for `command`, run it, and return the task ARN."""
        tasks = self.run(self.register(command), **kwargs)["tasks"]
        assert len(tasks) == 1
        return str(tasks[0]["taskArn"])

    def describe(self, arn: str) -> dict[str, Any]:
        return dict(self.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"][0])

    def wait_status(self, arn: str, status: str, timeout: float = 15.0) -> dict[str, Any]:
        return dict(
            wait_until(
                lambda: (task := self.describe(arn))["lastStatus"] == status and task,
                what=f"task {arn} to reach {status}",
                timeout=timeout,
            )
        )

    def log_lines(self, arn: str, container: str = "main") -> list[str]:
        stream = f"ecs/{container}/{arn.rsplit('/', 1)[-1]}"
        try:
            events = self.logs.get_log_events(logGroupName=LOG_GROUP, logStreamName=stream)["events"]
        except self.logs.exceptions.ResourceNotFoundException:
            return []  # the stream appears when the task starts
        return [event["message"] for event in events]

    def wait_log(self, arn: str, predicate: Callable[[str], bool], what: str) -> str:
        def found() -> str | None:
            return next((line for line in self.log_lines(arn) if predicate(line)), None)

        return str(wait_until(found, what=what, timeout=15.0))


def seed(endpoint: LocalEcsEndpoint) -> Local:
    ec2 = endpoint.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})  # moto needs it for awsvpc
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    endpoint.client("ecs").create_cluster(clusterName=CLUSTER, capacityProviders=list(CAPACITY_PROVIDERS))
    endpoint.client("logs").create_log_group(logGroupName=LOG_GROUP)
    return Local(endpoint, subnet)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    (root / "tasks" / "multi_task").mkdir(parents=True)
    return root


# Every test of the shared endpoint runs twice: containers forked from a warm interpreter, and spawned.
START_MODES = ("fork", "spawn")


@pytest.fixture(scope="module", params=START_MODES)
def shared(project: Path, request: pytest.FixtureRequest) -> Iterator[Local]:
    images = ImageResolver(project_dir=project)
    with LocalEcsEndpoint(images=images, fork_server=request.param == "fork") as endpoint:
        assert endpoint.fork_server == (request.param == "fork")
        yield seed(endpoint)


@pytest.fixture
def local(shared: Local) -> Iterator[Local]:
    """The module's endpoint, with faults reset after each test."""
    yield shared
    shared.endpoint.faults = FaultSettings()
