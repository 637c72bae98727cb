"""The events reader against a fake SQS: views handed over, what was read deleted, errors ridden out."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from farflow.executor.events_reader import UNHEALTHY_AFTER, EventsReader
from farflow.executor.task_state import View
from tests.unit.executor.fakes import ACCOUNT_TASK_ARN, aws_error, until

QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/farflow-task-events"


def body(arn: str, version: int, started_by: str = "farflow-abc") -> str:
    detail = {"taskArn": arn, "lastStatus": "RUNNING", "version": version, "startedBy": started_by}
    return json.dumps({"source": "aws.ecs", "detail-type": "ECS Task State Change", "detail": detail})


class FakeSqs:
    """ReceiveMessage answers from a script (messages, or an error to raise); records deletes."""

    def __init__(self) -> None:
        self.script: list[list[str] | BaseException] = []
        self.deleted: list[str] = []
        self.receives = 0
        self._lock = threading.Lock()

    def receive_message(self, **request: Any) -> dict[str, Any]:
        assert request == {"QueueUrl": QUEUE, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 20}
        with self._lock:
            self.receives += 1
            step = self.script.pop(0) if self.script else []
        if isinstance(step, BaseException):
            raise step
        return {
            "Messages": [
                {"MessageId": f"m{i}", "ReceiptHandle": f"r-{text}", "Body": text}
                for i, text in enumerate(step)
            ]
        }

    def delete_message_batch(self, *, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        with self._lock:
            self.deleted += [entry["ReceiptHandle"].removeprefix("r-") for entry in Entries]
        return {"Successful": [{"Id": entry["Id"]} for entry in Entries], "Failed": []}


class Harness:
    def __init__(self) -> None:
        self.sqs = FakeSqs()
        self.views: list[View] = []
        self.health: list[bool] = []
        self.clients = 0

        def client() -> FakeSqs:
            self.clients += 1
            return self.sqs

        self.reader = EventsReader(client, QUEUE, self.views.append, self.health.append, retry_base=0.01)


@pytest.fixture
def harness() -> Iterator[Harness]:
    made = Harness()
    yield made
    made.reader.stop()


def test_every_event_read_is_handed_over_and_deleted_whoever_its_task_is(harness: Harness) -> None:
    ours, theirs = body(f"{ACCOUNT_TASK_ARN}1", 2), body(f"{ACCOUNT_TASK_ARN}2", 7, started_by="farflow-xyz")
    harness.sqs.script = [[ours, theirs]]
    assert harness.reader.read_once() == 2
    assert [(view.arn, view.version) for view in harness.views] == [
        (f"{ACCOUNT_TASK_ARN}1", 2),
        (f"{ACCOUNT_TASK_ARN}2", 7),
    ]
    assert harness.sqs.deleted == [ours, theirs]
    assert (harness.reader.received, harness.reader.deleted) == (2, 2)


def test_a_message_that_is_not_an_event_is_left_for_the_dead_letter_queue(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    good = body(f"{ACCOUNT_TASK_ARN}1", 1)
    harness.sqs.script = [["{not json", good]]
    harness.reader.read_once()
    assert harness.sqs.deleted == [good]
    assert "dead-letter queue: not JSON" in caplog.text


def test_failures_are_ridden_out_and_reported_unhealthy_only_when_they_persist(harness: Harness) -> None:
    harness.sqs.script = [
        aws_error("ExpiredToken", operation="ReceiveMessage"),
        *[aws_error("ServiceUnavailable", 503, operation="ReceiveMessage")] * (UNHEALTHY_AFTER - 1),
        [body(f"{ACCOUNT_TASK_ARN}1", 1)],
    ]
    harness.reader.start()
    until(lambda: harness.views != [], what="the event after the failures", timeout=30)
    assert harness.health == [False, True]
    assert harness.clients == 2  # rebuilt once, for the expired credentials


def test_each_event_waits_its_turn_before_it_is_read() -> None:
    sqs, views = FakeSqs(), []
    handed_over_at_turn: list[int] = []

    def turn() -> bool:
        handed_over_at_turn.append(len(views))
        return True

    reader = EventsReader(lambda: sqs, QUEUE, views.append, lambda healthy: None, wait_for_heartbeat=turn)
    sqs.script = [[body(f"{ACCOUNT_TASK_ARN}1", 1), body(f"{ACCOUNT_TASK_ARN}2", 1)]]
    assert reader.read_once() == 2
    assert handed_over_at_turn == [0, 1]
    assert len(views) == 2
