"""The pure parts of the endpoint's task state change events and of SQS long polling."""

from __future__ import annotations

import json

from farflow.local.endpoint.eventbridge import iso_timestamp, put_events_entry
from farflow.local.endpoint.long_poll import MAX_WAIT, without_wait


def test_timestamps_are_iso_strings_with_milliseconds_in_utc() -> None:
    assert iso_timestamp(1579802254.4025) == "2020-01-23T17:57:34.402Z"
    assert iso_timestamp(0) == "1970-01-01T00:00:00.000Z"


def test_a_put_events_entry_is_what_ecs_sends_to_the_default_bus() -> None:
    detail = {"taskArn": "arn:aws:ecs:us-east-1:1:task/c/abc", "version": 3}
    entry = put_events_entry(detail, 1700000000.0)
    assert entry["Source"] == "aws.ecs"
    assert entry["DetailType"] == "ECS Task State Change"
    assert entry["Resources"] == [detail["taskArn"]]
    assert entry["EventBusName"] == "default"
    assert json.loads(entry["Detail"]) == detail


def test_a_long_poll_is_asked_of_moto_without_its_wait() -> None:
    body, wait = without_wait(b'{"QueueUrl": "http://x/1/q", "WaitTimeSeconds": 20}', lambda url: 0.0)
    assert json.loads(body) == {"QueueUrl": "http://x/1/q", "WaitTimeSeconds": 0}
    assert wait == 20.0


def test_without_wait_seconds_the_queues_default_applies() -> None:
    asked: list[str] = []
    _, wait = without_wait(b'{"QueueUrl": "http://x/1/q"}', lambda url: asked.append(url) or 7.0)
    assert (wait, asked) == (7.0, ["http://x/1/q"])
    _, wait = without_wait(b'{"QueueUrl": "q", "WaitTimeSeconds": 99}', lambda url: 0.0)
    assert wait == MAX_WAIT
