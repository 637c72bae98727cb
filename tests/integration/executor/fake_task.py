"""Stands in for the Airflow image's `python`: it runs the workload the executor sent, faking the Task SDK.

Either `-m airflow.sdk.execution_time.execute_workload --json-string W` (the workload in the command) or
`-m farflow.workload s3://...` (the workload in the store: farflow's real entry point fetches and deletes
it, then hands it to the fake run below instead of the Task SDK). It behaves by the workload's task_id, so
each test picks an ECS outcome: exit codes, a long run, a run the test ends (gated), memory use.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

GATE = "FAKE_TASK_GATE"  # a "gated" task runs until the file this names exists (the test opens it)


def wait_for_gate(path: str, limit: float = 300.0) -> None:
    deadline = time.monotonic() + limit
    while not Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def behave(workload: dict[str, Any]) -> int:
    task_id: str = workload["ti"]["task_id"]
    print(f"fake task {task_id} starting")
    if task_id.startswith("exit_"):
        return int(task_id.removeprefix("exit_"))
    if task_id.startswith("sleep"):
        time.sleep(600)
    if task_id.startswith("gated"):
        wait_for_gate(os.environ[GATE])
    if task_id.startswith("hog"):
        hoard = []
        for _ in range(64):
            hoard.append(bytearray(16 * 1024 * 1024))
            time.sleep(0.05)
    return 0


def main(argv: list[str]) -> int:
    if "--json-string" in argv:
        return behave(json.loads(argv[argv.index("--json-string") + 1]))
    from farflow.workload.entry import main as entry_point

    ran: list[int] = []
    code = entry_point(
        argv[3:], run=lambda workload: ran.append(behave(json.loads(workload.model_dump_json())))
    )
    return code or (ran[0] if ran else 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
