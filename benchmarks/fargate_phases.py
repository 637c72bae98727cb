"""Where sample_dag's ECS tasks spend their start on the local stack: the UI plugin's phases, measured.

Starts a fresh stack with the sample project, runs sample_dag `--runs` times one after the other, and
prints each run's ECS tasks as `GET /farflow/api/runs/{dag_id}/{run_id}` reports them (seconds per
phase, cost), then the median of each phase over the runs after the first (the first pays the warm-up).

    .venv/bin/python benchmarks/fargate_phases.py --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for `benchmarks.local`

from benchmarks.local.scenario import start_stack, wait_finished, write_project  # noqa: E402
from farflow.executor.phases import PHASES, start_latency  # noqa: E402
from farflow.local.demo import SAMPLE_DAG  # noqa: E402

ECS_RUN = {"start_process", "odd_task", "even_task", "numbers_task"}


def report_of(api: Any, run_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """The plugin's report once every ECS-run task's stopped event is saved."""
    deadline = time.monotonic() + timeout
    while True:
        report: dict[str, Any] = api.request("GET", f"/farflow/api/runs/{SAMPLE_DAG}/{run_id}")
        if {task["task_id"] for task in report["tasks"]} >= ECS_RUN or time.monotonic() > deadline:
            return report
        time.sleep(0.5)


def rows(run: int, report: dict[str, Any]) -> list[str]:
    lines = []
    for task in report["tasks"]:
        cells = [f"{task['phases'][name]:.2f}" if name in task["phases"] else "" for name in PHASES]
        latency = start_latency(task["phases"])
        lines.append(
            f"| {run} | {task['task_id']} | {' | '.join(cells)} | "
            f"{'' if latency is None else f'{latency:.2f}'} | {task['cost_usd']} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="farflow-phases-") as home:
        started = start_stack(write_project(Path(home), 0))
        try:
            reports = []
            for _ in range(args.runs):
                run_id = started.api.trigger(SAMPLE_DAG)
                wait_finished(started.api, SAMPLE_DAG, run_id, 300.0)
                reports.append(report_of(started.api, run_id))
        finally:
            started.stack.stop()
    print(f"| run | task | {' | '.join(PHASES)} | start latency | cost $ |")
    print(f"|---|---|{'---|' * len(PHASES)}---|---|")
    for number, report in enumerate(reports, 1):
        print("\n".join(rows(number, report)))
    later = [task for report in reports[1:] for task in report["tasks"]]
    if later:
        medians = [
            f"{statistics.median(values):.2f}"
            if (values := [t["phases"][n] for t in later if n in t["phases"]])
            else ""
            for n in PHASES
        ]
        latencies = [value for t in later if (value := start_latency(t["phases"])) is not None]
        print(
            f"| median, runs 2-{len(reports)} | all | {' | '.join(medians)} | {statistics.median(latencies):.2f} | |"
        )


if __name__ == "__main__":
    main()
