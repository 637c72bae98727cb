"""ECS task state change events: each change the endpoint writes to a task is published to its bus.

ECS publishes an "ECS Task State Change" event to the account's default EventBridge bus whenever a
task's lastStatus or desiredStatus changes. Its detail is the task as DescribeTasks shows it, with
timestamps as ISO strings, and `version` counts the task's changes. The endpoint does the same:
`task_status` bumps the version and calls `task_changed(model)` after each change it writes, and moto's
EventBridge delivers the event to the rules' targets (the SQS queue that `farflow.local.seed` creates,
as the deploy does on AWS).

As on AWS, delivery is asynchronous, at least once and not ordered; fault settings make it worse on
purpose (drop, duplicate, delay: faults.EventFate). A bus without rules gets nothing, which costs nothing.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from typing import Any

from farflow.local.endpoint.faults import FaultSwitch
from farflow.local.endpoint.moto_state import MOTO_LOCK, events_backend
from farflow.spec.events import EVENT_SOURCE, TASK_STATE_CHANGE

logger = logging.getLogger(__name__)

# DescribeTasks' timestamps, which the event carries as ISO strings.
TIMESTAMPS = (
    "createdAt",
    "connectivityAt",
    "pullStartedAt",
    "pullStoppedAt",
    "startedAt",
    "stoppingAt",
    "stoppedAt",
    "executionStoppedAt",
)
REORDER_DELAY = 1.0  # seconds a delayed event is held back: later events of its task overtake it
DEFAULT_BUS = "default"


def iso_timestamp(epoch: float) -> str:
    """ECS events' timestamps: `2020-01-23T17:57:34.402Z`."""
    moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _describe(model: Any) -> dict[str, Any]:
    """The task as DescribeTasks serialises it (moto's own serializer; tags left out, as in events)."""
    from moto.core.serialize import XFormedAttributePicker, get_serializer_class, never_return
    from moto.core.utils import get_service_model
    from moto.ecs.responses import DESCRIBE_TASKS_TAGS

    operation = get_service_model("ecs").operation_model("DescribeTasks")
    serializer = get_serializer_class("ecs", "json")(
        operation_model=operation,
        pretty_print=False,
        value_picker=XFormedAttributePicker(response_transformers={DESCRIBE_TASKS_TAGS: never_return}),
    )
    body = serializer.serialize({"tasks": [model], "failures": []})["body"]
    task: dict[str, Any] = json.loads(body)["tasks"][0]
    return task


def task_detail(model: Any, now: float) -> dict[str, Any]:
    """The event's detail: the DescribeTasks view of the task with ISO timestamps, plus updatedAt."""
    detail = _describe(model)
    for key in TIMESTAMPS:
        if isinstance(detail.get(key), int | float):
            detail[key] = iso_timestamp(detail[key])
    detail["updatedAt"] = iso_timestamp(now)
    return detail


def put_events_entry(detail: dict[str, Any], now: float) -> dict[str, Any]:
    """A PutEvents entry for the detail, as ECS sends it."""
    return {
        "Source": EVENT_SOURCE,
        "DetailType": TASK_STATE_CHANGE,
        "Detail": json.dumps(detail),
        "Resources": [detail["taskArn"]],
        "Time": now,
        "EventBusName": DEFAULT_BUS,
    }


class EventPublisher:
    """One endpoint's events: fate decided when published, delivery on a thread of its own."""

    def __init__(self, account: str, faults: FaultSwitch) -> None:
        self.account = account
        self._faults = faults
        self._queue: list[tuple[float, int, str, dict[str, Any]]] = []  # (due, seq, region, entry)
        self._sequence = itertools.count()
        self._ready = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._deliver, name="farflow-ecs-events", daemon=True)
        self._counts: Counter[str] = Counter()

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        with self._ready:
            self._closing = True
            self._ready.notify()
        self._thread.join(timeout=5)

    def counts(self) -> dict[str, int]:
        """published, dropped, duplicated, delayed, delivered: for tests and benchmarks."""
        with self._ready:
            return dict(self._counts)

    def publish(self, model: Any) -> None:
        """Called with MOTO_LOCK held, right after a change to `model` was written."""
        region = str(model.region_name)
        if not events_backend(self.account, region).describe_event_bus(DEFAULT_BUS).rules:
            return
        fate = self._faults.dice.event_fate()
        now = time.time()
        entry = put_events_entry(task_detail(model, now), now)
        due = time.monotonic() + (REORDER_DELAY if fate.delayed else 0.0)
        with self._ready:
            self._counts["published"] += 1
            self._counts.update(name for name, hit in vars(fate).items() if hit)
            if fate.dropped:
                return
            for _ in range(2 if fate.duplicated else 1):
                heapq.heappush(self._queue, (due, next(self._sequence), region, entry))
            self._ready.notify()

    def _deliver(self) -> None:
        while True:
            with self._ready:
                while not self._closing and (not self._queue or self._queue[0][0] > time.monotonic()):
                    self._ready.wait(self._queue[0][0] - time.monotonic() if self._queue else None)
                if self._closing:
                    return
                _, _, region, entry = heapq.heappop(self._queue)
            try:
                with MOTO_LOCK:
                    events_backend(self.account, region).put_events([entry])
            except Exception:
                logger.exception("Could not deliver a task state change event to EventBridge.")
                continue
            with self._ready:
                self._counts["delivered"] += 1


_publishers: dict[str, EventPublisher] = {}


def register(publisher: EventPublisher) -> None:
    with MOTO_LOCK:
        _publishers[publisher.account] = publisher


def unregister(publisher: EventPublisher) -> None:
    with MOTO_LOCK:
        if _publishers.get(publisher.account) is publisher:
            del _publishers[publisher.account]


def task_changed(model: Any) -> None:
    """The hook task_status calls (MOTO_LOCK held): publish the task's new state, if its endpoint listens."""
    publisher = _publishers.get(str(model.task_arn).split(":")[4])
    if publisher is not None:
        publisher.publish(model)
