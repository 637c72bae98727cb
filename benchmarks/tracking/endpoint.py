"""The tracking benchmark's endpoint, in a process of its own: farflow's local endpoint with execute=False
(tasks go RUNNING without a process, so one machine holds 10,000), answering one command per line on
stdin (the protocol of benchmarks.launch.endpoint, which starts it):

    calls           -> {"DescribeTasks": n, ...}: the calls of farflow's executor (its User-Agent), by operation
    events          -> the task state change events: published, dropped, duplicated, delayed, delivered
    faults <json>   -> "ok": FaultSettings(**json) from now on (e.g. {"event_drop_rate": 0.05})
    exit <seconds>  -> "<n>": ends the n RUNNING tasks, spread evenly over <seconds>, with exit code 0
    stopped         -> {"<task arn>": <unix time it stopped>, ...}
    stop            -> stops
"""

from __future__ import annotations

import json
import random
import threading
import time
from typing import IO, Any

from benchmarks.launch.endpoint import child_main
from farflow.local.endpoint.calls import FARFLOW_CLIENT

CLUSTER = "farflow"


def running_tasks(ecs: Any) -> list[str]:
    arns: list[str] = []
    for page in ecs.get_paginator("list_tasks").paginate(cluster=CLUSTER, desiredStatus="RUNNING"):
        arns += page["taskArns"]
    return arns


def end_over(endpoint: Any, arns: list[str], seconds: float, stopped: dict[str, float]) -> None:
    """End the tasks in a random order, evenly spread over `seconds`; note when each one stopped. A task
    not RUNNING yet (a busy endpoint's lifecycle thread is behind) is ended once it is."""
    start = time.monotonic()
    for index, arn in enumerate(arns):
        time.sleep(max(0.0, start + index * seconds / len(arns) - time.monotonic()))
        deadline = time.monotonic() + 60
        while not endpoint.exit_task(arn, 0) and time.monotonic() < deadline:
            time.sleep(0.05)
        stopped[arn] = time.time()


def serve(delay_ms: int, commands: IO[str], answers: IO[str]) -> None:
    from farflow.local.endpoint import FaultSettings, LocalEcsEndpoint

    with LocalEcsEndpoint(faults=FaultSettings(latency_ms=delay_ms), execute=False) as endpoint:
        print(endpoint.url, file=answers, flush=True)
        stopped: dict[str, float] = {}
        for line in commands:
            command, _, argument = line.strip().partition(" ")
            if command == "calls":
                answer: Any = endpoint.client_calls().get(FARFLOW_CLIENT, {})
            elif command == "events":
                answer = endpoint.event_counts()
            elif command == "faults":
                endpoint.faults = FaultSettings(latency_ms=delay_ms, **json.loads(argument))
                answer = "ok"
            elif command == "exit":
                arns = running_tasks(endpoint.client("ecs"))
                random.shuffle(arns)
                threading.Thread(
                    target=end_over, args=(endpoint, arns, float(argument), stopped), daemon=True
                ).start()
                answer = len(arns)
            elif command == "stopped":
                answer = dict(stopped)
            elif command == "stop":
                break
            else:
                answer = {"error": f"unknown command {command!r}"}
            print(json.dumps(answer), file=answers, flush=True)


if __name__ == "__main__":
    child_main(serve)
