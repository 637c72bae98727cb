"""Reading the events queue's messages: EventBridge envelopes around ECS task state changes."""

from __future__ import annotations

import json
from typing import Any

from farflow.executor.ecs_events import Unreadable, read_message

ARN = "arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/c13b4cb40f1f4fe4a2971f76ae5a47ad"


def envelope(**overrides: Any) -> dict[str, Any]:
    """An event as AWS documents it (ecs_task_events), trimmed."""
    event = {
        "version": "0",
        "id": "3317b2af-7005-947d-b652-f55e762e571a",
        "detail-type": "ECS Task State Change",
        "source": "aws.ecs",
        "account": "111122223333",
        "time": "2020-01-23T17:57:58Z",
        "region": "us-west-2",
        "resources": [ARN],
        "detail": {
            "clusterArn": "arn:aws:ecs:us-west-2:111122223333:cluster/FargateCluster",
            "containers": [{"name": "FargateApp", "lastStatus": "RUNNING", "taskArn": ARN}],
            "createdAt": "2020-01-23T17:57:34.402Z",
            "launchType": "FARGATE",
            "cpu": "256",
            "memory": "512",
            "desiredStatus": "RUNNING",
            "lastStatus": "RUNNING",
            "pullStartedAt": "2020-01-23T17:57:52.103Z",
            "startedAt": "2020-01-23T17:57:58.103Z",
            "startedBy": "farflow-0123456789ab",
            "taskArn": ARN,
            "version": 4,
        },
    }
    return {**event, **overrides}


def test_a_task_state_change_is_a_view_of_its_task() -> None:
    view = read_message(json.dumps(envelope()))
    assert not isinstance(view, Unreadable)
    assert (view.arn, view.phase, view.version, view.described) == (ARN, "running", 4, False)
    assert view.task["startedBy"] == "farflow-0123456789ab"
    assert view.at == 1579802278.0  # the envelope's time: the detail here has no updatedAt


def test_an_events_time_is_its_updated_at_when_it_has_one() -> None:
    event = envelope()
    event["detail"] = {**event["detail"], "updatedAt": "2020-01-23T17:57:58.103Z"}
    view = read_message(json.dumps(event))
    assert not isinstance(view, Unreadable) and view.at == 1579802278.103


def test_what_is_not_a_task_state_change_is_unreadable_with_a_reason() -> None:
    assert read_message("not json") == Unreadable("not JSON")
    assert read_message("[1]") == Unreadable("not an EventBridge event")
    other = read_message(json.dumps(envelope(**{"detail-type": "ECS Service Action"})))
    assert isinstance(other, Unreadable) and "ECS Service Action" in other.reason
    assert read_message(json.dumps(envelope(detail={"lastStatus": "RUNNING"}))) == Unreadable(
        "an ECS Task State Change without a task ARN"
    )
