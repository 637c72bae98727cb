"""One DAG run watched from the terminal (`farflow local run`, `farflow demo`): trigger it, show a live table
of its tasks until it ends, then the log tail of every failed task.

On a terminal the table redraws in place (rich Live); piped, only the final table is printed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.text import Text

from farflow.airflow_api import AirflowApi, ApiError
from farflow.local.component_processes import wait_for
from farflow.local.demo import DagImportError, result_rows, wait_for_dag
from farflow.local.demo_table import TaskRow, render_table
from farflow.local.stack_access import StackAccess
from farflow.local.task_logs import container_output, failure_report

FINISHED = {"success", "failed"}
RUN_TIMEOUT = 1800.0
REFRESH = 1.0
TABLE_WIDTH = 140


@dataclass(frozen=True)
class RunResult:
    run_id: str
    state: str
    rows: list[TaskRow]

    @property
    def succeeded(self) -> bool:
        return self.state == "success"


def watch_run(
    console: Console,
    stack: StackAccess,
    dag_id: str,
    *,
    conf: dict[str, Any] | None = None,
    dag_file: str | None = None,
    order: Sequence[str] = (),
    timeout: float = RUN_TIMEOUT,
) -> RunResult:
    """Wait for the DAG to load, unpause and trigger it, show its tasks live until the run ends."""
    api = stack.api()
    run_id = _trigger_loaded(console, stack, api, dag_id, dag_file=dag_file, conf=conf)
    if not console.is_terminal:
        console.width = max(console.width, TABLE_WIDTH)  # piped: room for full ECS task ids
    rows: list[TaskRow] = []
    with Live(render_table([], title=f"{dag_id} · {run_id}"), console=console, auto_refresh=False) as live:

        def finished() -> str | None:
            nonlocal rows
            try:
                rows = result_rows(stack, api, dag_id, run_id, order, settled=False)
                state = str(api.dag_run(dag_id, run_id).get("state"))
            except (OSError, ApiError) as error:  # a busy api-server: ask again until the deadline
                if isinstance(error, ApiError) and error.status < 500:
                    raise
                return None
            live.update(render_table(rows, title=f"{dag_id} · {run_id} · {state}"), refresh=True)
            return state if state in FINISHED else None

        state = wait_for(
            finished, timeout=timeout, what=f"run {run_id} of {dag_id!r}", interval=REFRESH, guard=stack.check
        )
        rows = result_rows(stack, api, dag_id, run_id, order)  # every ECS task stopped: exit codes
        live.update(render_table(rows, title=f"{dag_id} · {run_id} · {state}"), refresh=True)
    console.print()
    print_failures(console, stack, dag_id, run_id, rows)
    return RunResult(run_id, state, rows)


def _trigger_loaded(
    console: Console,
    stack: StackAccess,
    api: AirflowApi,
    dag_id: str,
    *,
    dag_file: str | None,
    conf: dict[str, Any] | None,
) -> str:
    """Wait until the DAG is loaded from dags/ as it is now, unpause and trigger it; its run id. A DAG that
    breaks or goes away in between answers 404: then the wait again says why (DagImportError)."""
    folder = stack.layout.dags_folder if stack.layout is not None else None
    missing: ApiError | None = None
    for _attempt in range(2):
        with console.status(f"Waiting for the dag-processor to load {dag_id}..."):
            wait_for_dag(api, dag_id, dag_file, dags_folder=folder, guard=stack.check)
        try:
            api.unpause(dag_id)
            return api.trigger(dag_id, conf)
        except ApiError as error:
            if error.status != 404:
                raise
            missing = error
    raise DagImportError(
        f"Airflow lost DAG {dag_id!r} as it was triggered ({missing}); is its file in dags/ changing? "
        "Run again once it is saved."
    )


def print_failures(
    console: Console, stack: StackAccess, dag_id: str, run_id: str, rows: Sequence[TaskRow]
) -> None:
    """Under the table, each failed task's executor events, log tail and container output."""
    failed = [row for row in rows if row.state == "failed"]
    if not failed:
        return
    assert stack.layout is not None and stack.seeded is not None
    api = stack.api()
    instances = {instance["task_id"]: instance for instance in api.task_instances(dag_id, run_id)}
    ecs, logs, cluster = stack.aws_client("ecs"), stack.aws_client("logs"), stack.seeded.cluster
    for row in failed:
        if row.task_id not in instances:
            continue
        # The container's own output only when it ended badly: otherwise the Airflow log says it all.
        arn = row.arn if row.exit_code not in (None, 0) else None
        console.print(Text(f"── {row.task_id} failed ──", style="bold red"))
        report = failure_report(
            api,
            dag_id,
            run_id,
            instances[row.task_id],
            container=lambda arn=arn: container_output(ecs, logs, cluster, arn) if arn else [],  # type: ignore[misc]
        )
        console.print(Text(report), highlight=False, soft_wrap=True)
