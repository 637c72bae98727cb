"""Why a task failed, in a few lines for the terminal: farflow's executor's events for it ("ecs task
launch failed", "ecs task stopped" with exit code, stop code and reason), which are all there is when
the container never ran Airflow's task runner, then the tail of its Airflow log.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from farflow.airflow_api import AirflowApi, ApiError

TAIL_LINES = 20
EXECUTOR_EVENTS = "ecs task"  # the prefix of every event farflow's executor records on a task
# What Airflow's log reader says around, or instead of, a log: not the task's own words.
NOISE = ("::group::", "::endgroup::", "Could not read served logs", "Log message source details")


def log_lines(payload: Any) -> list[str]:
    """Airflow's log response (`content`: structured messages, or plain lines when it could not parse)
    as plain lines: time, level, message and any error detail."""
    content = payload.get("content", []) if isinstance(payload, Mapping) else []
    return [line for entry in content for line in entry_lines(entry)]


def entry_lines(entry: Any) -> list[str]:
    """One structured log message (a mapping, or a JSON line of one) as lines; other text as it is."""
    if isinstance(entry, str) and entry.startswith("{"):
        with contextlib.suppress(ValueError):
            entry = json.loads(entry)
    if not isinstance(entry, Mapping):
        return str(entry).splitlines()
    stamp = str(entry.get("timestamp") or "")[11:19]  # HH:MM:SS of an ISO timestamp
    level = str(entry.get("level") or "").upper()
    head = " ".join(part for part in (stamp, level, str(entry.get("event", ""))) if part)
    lines = head.splitlines() or [""]
    for detail in entry.get("error_detail") or []:
        if isinstance(detail, Mapping):
            lines.append(f"  {detail.get('exc_type', '')}: {detail.get('exc_value', '')}")
    return lines


def executor_events(events: Sequence[Mapping[str, Any]], last: int = 3) -> list[str]:
    """The executor's last few events on the task, as `event: text` lines."""
    lines = [
        f"{event.get('event')}: {event.get('extra')}"
        for event in events
        if str(event.get("event", "")).startswith(EXECUTOR_EVENTS)
    ]
    return lines[-last:]


def meaningful(lines: Sequence[str]) -> list[str]:
    """Log lines without the log reader's own framing and complaints."""
    return [line for line in lines if not any(marker in line for marker in NOISE)]


def stream_names(container: Mapping[str, Any], task_id: str) -> tuple[str, str] | None:
    """(log group, stream) of a container's awslogs output, named as ECS's awslogs driver names it."""
    config = container.get("logConfiguration") or {}
    options = config.get("options") or {}
    group, prefix = options.get("awslogs-group"), options.get("awslogs-stream-prefix")
    if config.get("logDriver") != "awslogs" or not group:
        return None
    return str(group), f"{prefix}/{container['name']}/{task_id}" if prefix else task_id


def container_output(ecs: Any, logs: Any, cluster: str, arn: str, lines: int = TAIL_LINES) -> list[str]:
    """The last lines an ECS task's containers wrote (CloudWatch Logs): what a process that died before
    Airflow's task runner could log, or while it could not reach the api-server, said."""
    tasks = ecs.describe_tasks(cluster=cluster, tasks=[arn]).get("tasks", [])
    if not tasks:
        return []
    definition = ecs.describe_task_definition(taskDefinition=tasks[0]["taskDefinitionArn"])["taskDefinition"]
    output: list[str] = []
    for container in definition.get("containerDefinitions", []):
        names = stream_names(container, arn.rsplit("/", 1)[-1])
        if names is None:
            continue
        with contextlib.suppress(logs.exceptions.ResourceNotFoundException):
            answer = logs.get_log_events(logGroupName=names[0], logStreamName=names[1], limit=lines)
            for event in answer.get("events", []):
                output += entry_lines(str(event["message"]).rstrip("\n"))
    return output[-lines:]


def failure_report(
    api: AirflowApi,
    dag_id: str,
    run_id: str,
    instance: Mapping[str, Any],
    container: Callable[[], list[str]] = lambda: [],
) -> str:
    """The lines to print under a failed task: the executor's events, the tail of its Airflow log, and
    the tail of its container's output (`container`, for a task that ran in an ECS task)."""
    task_id = str(instance["task_id"])
    parts: list[str] = []
    with contextlib.suppress(ApiError, OSError):
        parts.extend(executor_events(api.event_logs(dag_id, run_id=run_id, task_id=task_id)))
    try_number = int(instance.get("try_number") or 1)
    try:
        payload = api.task_log(dag_id, run_id, task_id, try_number, int(instance.get("map_index", -1)))
    except (ApiError, OSError, ValueError):
        payload = None
    tail = meaningful(log_lines(payload))[-TAIL_LINES:]
    parts.extend(["Airflow log:", *tail] if tail else ["(no Airflow log)"])
    try:
        output = container()
    except Exception as error:  # the report must not fail on a log that cannot be read
        output = [f"(could not read it: {type(error).__name__})"]
    if output:
        parts.extend(["ECS container output:", *output])
    return "\n".join(parts)
