"""Search everything a local stack wrote or recorded for its secrets and for Airflow workload tokens.

The sources: every file under `<project>/.farflow/logs` (the components', the migration's, the test's
capture of the in-process endpoint and stack) and Airflow's task logs, every CloudWatch Logs event the
endpoint holds (the containers' awslogs output), every task event in Airflow's event log, and what the
endpoint recorded of each RunTask (each task as DescribeTasks shows it) and each task definition.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from farflow.airflow_api import AirflowApi
from farflow.local.stack import LocalStack
from farflow.spec import AIRFLOW_TASK

# An Airflow workload token (a JWT): any in a log or a task record is a leak, whoever signed it.
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")
PAGE = 100
# Locally the Airflow task definition would carry its secrets as plain environment values, where the
# deploy's task definition names a Secrets Manager secret (docs/local.md); the spec gives it none today,
# so any secret in a task definition is a leak.
TASK_DEFINITION_SECRETS = frozenset(secret.env_var for secret in AIRFLOW_TASK.secrets)


@dataclass(frozen=True)
class Leak:
    source: str
    what: str  # which secret: never the value


def every_ecs_task(stack: LocalStack) -> list[dict[str, Any]]:
    """Every task the endpoint ran, as DescribeTasks shows it to anyone allowed to call it."""
    assert stack.seeded is not None
    ecs, cluster = stack.aws_client("ecs"), stack.seeded.cluster
    arns = [
        arn for page in ecs.get_paginator("list_tasks").paginate(cluster=cluster) for arn in page["taskArns"]
    ]
    return [
        task
        for start in range(0, len(arns), PAGE)
        for task in ecs.describe_tasks(cluster=cluster, tasks=arns[start : start + PAGE])["tasks"]
    ]


def secrets_of(stack: LocalStack) -> dict[str, str]:
    """The values that must not appear, by name (read from `<project>/.farflow/secrets.json`)."""
    stored = json.loads(stack.state.secrets_file.read_text())
    names = {"admin_password": "admin password", "fernet_key": "fernet key", "jwt_secret": "JWT secret"}
    return {label: str(stored[key]) for key, label in names.items()}


def log_files(stack: LocalStack) -> Iterator[tuple[str, str]]:
    for folder in (stack.state.logs, stack.state.task_logs):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                yield str(path), path.read_text(errors="replace")


def awslogs(stack: LocalStack) -> Iterator[tuple[str, str]]:
    logs = stack.aws_client("logs")
    groups = [group["logGroupName"] for group in logs.describe_log_groups()["logGroups"]]
    for group in groups:
        lines = [
            event["message"]
            for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group)
            for event in page["events"]
        ]
        yield f"awslogs {group}", "\n".join(lines)


def task_events(api: AirflowApi) -> Iterator[tuple[str, str]]:
    """Airflow's whole event log (the executor's task events among it), a page at a time."""
    offset = 0
    while True:
        page = api.request("GET", "/api/v2/eventLogs", limit=PAGE, offset=offset, order_by="id")
        entries = list(page.get("event_logs", []))
        if not entries:
            return
        yield f"event log from {offset}", json.dumps(entries, default=str)
        offset += len(entries)


def ecs_records(stack: LocalStack) -> Iterator[tuple[str, str]]:
    """Each RunTask as the endpoint recorded it, and each task definition, with the two values the local
    Airflow task definition carries by design (TASK_DEFINITION_SECRETS) blanked in its environment."""
    for task in every_ecs_task(stack):
        yield f"ECS task {task['taskArn']}", json.dumps(task, default=str)
    ecs = stack.aws_client("ecs")
    for page in ecs.get_paginator("list_task_definitions").paginate():
        for arn in page["taskDefinitionArns"]:
            definition = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
            for container in definition["containerDefinitions"]:
                for entry in container.get("environment", []):
                    if entry["name"] in TASK_DEFINITION_SECRETS:
                        entry["value"] = "<secret by design>"
            yield f"task definition {arn}", json.dumps(definition, default=str)


def find_leaks(stack: LocalStack, api: AirflowApi) -> tuple[list[Leak], int]:
    """Every (source, secret) pair where a secret or a workload token appears in what the stack wrote or
    recorded, and how many sources were searched."""
    sources = (log_files(stack), awslogs(stack), task_events(api), ecs_records(stack))
    return search((item for group in sources for item in group), secrets_of(stack))


def search(sources: Iterable[tuple[str, str]], secrets: Mapping[str, str]) -> tuple[list[Leak], int]:
    """Each (source, secret name) where a secret's value or a JWT appears; and how many sources there were."""
    leaks: list[Leak] = []
    searched = 0
    for source, text in sources:
        searched += 1
        leaks += [Leak(source, label) for label, value in secrets.items() if value in text]
        if JWT.search(text):
            leaks.append(Leak(source, "a workload token (JWT)"))
    return leaks, searched


@contextlib.contextmanager
def captured_log(path: Path) -> Iterator[None]:
    """Write what the in-process stack and endpoint log (logger `farflow`, DEBUG and up) to `path`, so the
    search covers the endpoint's own log too."""
    logger = logging.getLogger("farflow")
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        handler.close()
