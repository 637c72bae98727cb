"""A component's plain (non-secret) settings: fixed values, or slots each platform fills."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum


class Slot(Enum):
    """A value only the platform knows: a path, a URL, a subnet id, a generated name."""

    DAGS_FOLDER = "dags folder"
    EXECUTION_API_URL = "the api-server's execution API URL, as task containers reach it"
    API_BASE_URL = "the URL users open the UI at"
    WORKER_EXECUTOR = "',worker:<executor>' in [core] executor, or empty without a worker pool"
    AUTH_MANAGER = "the auth manager class"
    REGION = "AWS Region"
    CLUSTER = "ECS cluster name"
    AIRFLOW_TASK_DEFINITION = "family of the task definition Airflow tasks run in"
    AIRFLOW_CONTAINER = "name of the Airflow container in that task definition"
    TASK_DEFINITION_PREFIX = "prefix of the tasks/<name> task definition families"
    SUBNETS = "comma-separated subnet ids for tasks"
    SECURITY_GROUPS = "comma-separated security group ids for tasks"
    ASSIGN_PUBLIC_IP = "True when tasks run in public subnets"
    TASK_LOG_GROUP = "log group of the tasks/<name> task definitions"
    REMOTE_LOG_FOLDER = "where Airflow task logs are kept for the UI"
    WAITER_DELAY = "seconds between the sample DAG's ECS status checks"
    WORKLOAD_STORE = "s3://bucket/prefix/ where each task's workload waits for its container"
    EVENTS_QUEUE_URL = "URL of the SQS queue the task state change rule delivers to (spec/events.py)"
    DAG_BUNDLES = "[dag_processor] dag_bundle_config_list: the DAGs bucket's S3 bundle (spec/dag_bundle.py)"


Part = str | Slot


@dataclass(frozen=True)
class Setting:
    """One environment variable of a container: fixed text, a slot, or text and slots joined."""

    name: str
    value: Part | tuple[Part, ...]

    @property
    def slots(self) -> tuple[Slot, ...]:
        parts = self.value if isinstance(self.value, tuple) else (self.value,)
        return tuple(part for part in parts if isinstance(part, Slot))

    def render(self, slots: Mapping[Slot, str]) -> str:
        parts = self.value if isinstance(self.value, tuple) else (self.value,)
        missing = [part.name for part in parts if isinstance(part, Slot) and part not in slots]
        if missing:
            raise KeyError(f"{self.name} needs a value for slot(s) {', '.join(missing)}")
        return "".join(slots[part] if isinstance(part, Slot) else part for part in parts)
