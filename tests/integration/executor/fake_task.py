"""Stands in for the Airflow image's `python -m airflow.sdk.execution_time.execute_workload --json-string W`.

It behaves by the workload's task_id, so each test picks an ECS outcome: exit codes, a long run, memory use.
"""

from __future__ import annotations

import json
import sys
import time


def main(argv: list[str]) -> int:
    workload = json.loads(argv[argv.index("--json-string") + 1])
    task_id: str = workload["ti"]["task_id"]
    print(f"fake task {task_id} starting")
    if task_id.startswith("exit_"):
        return int(task_id.removeprefix("exit_"))
    if task_id.startswith("sleep"):
        time.sleep(600)
    if task_id.startswith("hog"):
        hoard = []
        for _ in range(64):
            hoard.append(bytearray(16 * 1024 * 1024))
            time.sleep(0.05)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
