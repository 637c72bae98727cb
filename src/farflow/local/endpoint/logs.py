"""A container's output as CloudWatch Logs events, written straight into moto's logs backend.

Its stdout and stderr are merged, as the awslogs driver does, and each line is one event.

ECS's awslogs driver names the stream `<awslogs-stream-prefix>/<container name>/<task id>`; we do the
same, so code that finds a task's logs on AWS finds them locally. Without a prefix (allowed on EC2) the
stream is named after the task id, standing in for the Docker container id.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from farflow.local.endpoint.moto_state import MOTO_LOCK, logs_backend

MAX_EVENT_BYTES = 256 * 1024 - 26  # CloudWatch's limit: 256 KiB including 26 bytes of overhead


class LogSetupError(Exception):
    """The container's log configuration cannot work; the message is the task's stoppedReason."""


@dataclass(frozen=True)
class LogTarget:
    account: str
    region: str
    group: str
    stream: str
    create_group: bool


def log_target(
    container: Mapping[str, Any], task_id: str, account: str, default_region: str
) -> LogTarget | None:
    """Where a container's output goes, from its logConfiguration; None unless the driver is awslogs."""
    config = container.get("logConfiguration") or {}
    if config.get("logDriver") != "awslogs":
        return None
    options: Mapping[str, str] = config.get("options") or {}
    group = options.get("awslogs-group")
    if not group:
        raise LogSetupError(
            f"ResourceInitializationError: container {container.get('name')!r} uses the awslogs driver "
            "without an awslogs-group option; add one to its logConfiguration."
        )
    prefix = options.get("awslogs-stream-prefix")
    stream = f"{prefix}/{container.get('name')}/{task_id}" if prefix else task_id
    return LogTarget(
        account=account,
        region=options.get("awslogs-region") or default_region,
        group=group,
        stream=stream,
        create_group=str(options.get("awslogs-create-group", "")).lower() == "true",
    )


def prepare(target: LogTarget) -> None:
    """Create the stream (and the group when awslogs-create-group is "true"), as ECS does before start."""
    with MOTO_LOCK:
        backend = logs_backend(target.account, target.region)
        if target.group not in backend.groups:
            if not target.create_group:
                raise LogSetupError(
                    "ResourceInitializationError: failed to validate logger args: The specified log group "
                    f"does not exist: {target.group} (region {target.region}). Create the log group, or set "
                    'awslogs-create-group to "true" in the container\'s logConfiguration.'
                )
            backend.ensure_log_group(target.group)
        backend.ensure_log_stream(target.group, target.stream)


def event(message: str, timestamp_ms: int | None = None) -> dict[str, Any]:
    """One log event, cut to CloudWatch's size limit."""
    data = message.encode("utf-8")
    if len(data) > MAX_EVENT_BYTES:
        message = data[:MAX_EVENT_BYTES].decode("utf-8", errors="ignore")
    stamp = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    return {"timestamp": stamp, "message": message}


def write(target: LogTarget, events: Sequence[Mapping[str, Any]]) -> bool:
    """Append events to the target stream; False if the group or stream has been deleted meanwhile."""
    if not events:
        return True
    with MOTO_LOCK:
        backend = logs_backend(target.account, target.region)
        group = backend.groups.get(target.group)
        if group is None or target.stream not in group.streams:
            return False
        group.put_log_events(target.stream, [dict(item) for item in events])
        return True


def pump(
    stream: IO[bytes], sink: Callable[[list[dict[str, Any]]], object], on_eof: Callable[[], None]
) -> None:
    """Forward each non-empty line to `sink` as a log event until the stream ends, then call `on_eof`."""
    try:
        for raw in iter(lambda: stream.readline(MAX_EVENT_BYTES), b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if line:
                sink([event(line)])
    finally:
        stream.close()
        on_eof()
