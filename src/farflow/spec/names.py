"""The names both platforms give what they create."""

from __future__ import annotations

from dataclasses import dataclass

AIRFLOW_CONTAINER = "airflow"
WORKER_ALIAS = "worker"
RESERVED_FOLDERS = ("airflow", "airflow-task")
"""tasks/<name> folder names farflow's own names take: `<prefix>-airflow` is the Airflow task definition's
family (`Names.airflow_family`, and a folder's family is `<prefix>-<name>`), and `airflow-task` owns the
Airflow task definition's execution role (`farflow.local.roles.execution_role_name`)."""


def worker_alias(executor: str | None) -> str:
    """What Slot.WORKER_EXECUTOR holds: the `worker` alias entry of [core] executor for `executor`, or
    nothing where no worker pool runs (a task that asks for `worker` then fails to parse, naming it)."""
    return f",{WORKER_ALIAS}:{executor}" if executor else ""


@dataclass(frozen=True)
class Names:
    """Every name derives from one prefix, so two deployments in one account differ by it alone."""

    prefix: str = "farflow"

    @property
    def cluster(self) -> str:
        return self.prefix

    @property
    def airflow_family(self) -> str:
        """The task definition farflow's executor runs Airflow tasks in."""
        return f"{self.prefix}-airflow"

    @property
    def airflow_container(self) -> str:
        return AIRFLOW_CONTAINER

    @property
    def task_definition_prefix(self) -> str:
        """Prefix of the task definition made from each tasks/<name> folder."""
        return f"{self.prefix}-"

    def folder_family(self, folder: str) -> str:
        return f"{self.task_definition_prefix}{folder}"

    @property
    def task_log_group(self) -> str:
        return f"/{self.prefix}/tasks"

    @property
    def airflow_log_group(self) -> str:
        return f"/{self.prefix}/airflow"

    @property
    def remote_log_group(self) -> str:
        """Where Airflow's remote logging keeps task logs for the UI (AWS: CloudWatch)."""
        return f"/{self.prefix}/airflow-task-logs"
