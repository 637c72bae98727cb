"""An SQS message from the task events queue, read as a view of one ECS task.

The EventBridge rule delivers each "ECS Task State Change" event whole as the message body:
`{"detail-type": "ECS Task State Change", "source": "aws.ecs", ..., "detail": {...}}`. The detail has
the shape of a DescribeTasks `tasks` item (timestamps as ISO strings instead of numbers), including
`version` and `startedBy`, so the executor judges it with the same code as a DescribeTasks answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from farflow.executor.task_state import View, view_of
from farflow.executor.timestamps import timestamp
from farflow.spec.events import EVENT_SOURCE, TASK_STATE_CHANGE


@dataclass(frozen=True)
class Unreadable:
    """A message that is not an ECS task state change; why, for the log."""

    reason: str


def read_message(body: str) -> View | Unreadable:
    try:
        event = json.loads(body)
    except (TypeError, ValueError):
        return Unreadable("not JSON")
    if not isinstance(event, dict):
        return Unreadable("not an EventBridge event")
    if event.get("source") != EVENT_SOURCE or event.get("detail-type") != TASK_STATE_CHANGE:
        return Unreadable(f"an event of type {event.get('detail-type')!r} from {event.get('source')!r}")
    detail = event.get("detail")
    if not isinstance(detail, dict) or not isinstance(detail.get("taskArn"), str):
        return Unreadable("an ECS Task State Change without a task ARN")
    when = timestamp(detail.get("updatedAt")) or timestamp(event.get("time"))
    return view_of(detail, described=False, at=when.timestamp() if when else None)
