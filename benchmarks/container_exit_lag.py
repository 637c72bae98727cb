"""How long each ECS task's container outlives its Airflow task on the local stack: the Airflow task's
end_date to the container's exit, as the endpoint saw it. On AWS that time is billed.

    .venv/bin/python benchmarks/container_exit_lag.py --runs 2
    PYTHONPATH=/tmp/before/src .venv/bin/python benchmarks/container_exit_lag.py --runs 2   # another tree
      (git worktree add /tmp/before REV: the stack's task processes inherit PYTHONPATH)
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any


def container_exits() -> dict[str, float]:
    """Record, per task ARN, the wall-clock time its last container exited (the endpoint's own record)."""
    from farflow.local.endpoint import runtime

    exits: dict[str, float] = {}
    finish = runtime.TaskRuntime._finish

    def recording(self: Any, task: Any, ending: Any, codes: Any) -> None:
        exited = [run.exited_at for run in task.runs if getattr(run, "exited_at", None)]
        if exited:
            exits[task.arn] = time.time() - (time.monotonic() - max(exited))
        finish(self, task, ending, codes)

    runtime.TaskRuntime._finish = recording  # type: ignore[method-assign]
    return exits


def measure(runs: int, project: Path) -> list[float]:
    from farflow.local.demo import wait_for_dag
    from farflow.local.metadata_query import ecs_task_arns
    from farflow.local.ports import free_port
    from farflow.local.stack import LocalStack, StackOptions
    from farflow.scaffold import init_project

    exits = container_exits()
    init_project(project)
    lags: list[float] = []
    with LocalStack(StackOptions(project, free_port())) as stack:
        assert stack.layout is not None
        api = stack.api()
        wait_for_dag(api, "sample_dag", "sample_dag.py")
        api.unpause("sample_dag")
        for _ in range(runs):
            run_id = api.trigger("sample_dag", {})
            while api.dag_run("sample_dag", run_id)["state"] not in ("success", "failed"):
                time.sleep(0.2)
            arns = ecs_task_arns(stack.layout.database_url, "sample_dag", run_id)
            deadline = time.monotonic() + 30
            while not set(arns.values()) <= set(exits) and time.monotonic() < deadline:
                time.sleep(0.2)
            for instance in api.task_instances("sample_dag", run_id):
                arn = arns.get(instance["task_id"])
                if arn in exits:
                    ended = datetime.fromisoformat(instance["end_date"].replace("Z", "+00:00")).timestamp()
                    lags.append(round(exits[arn] - ended, 2))
    return lags


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=2, help="sample_dag runs on one fresh stack")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="farflow-exit-lag-"))
    try:
        lags = measure(args.runs, scratch / "project")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not lags:
        print("no ECS task measured", file=sys.stderr)
        return 1
    print(f"container exit after the Airflow task's end (s): {sorted(lags)}")
    print(
        f"median {statistics.median(lags):.2f}, max {max(lags):.2f}, over 5 s: {sum(lag > 5 for lag in lags)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
