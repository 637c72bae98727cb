"""The task events rule and queue, as both platforms render them."""

from __future__ import annotations

import json

from farflow.local.seed import queue_attributes
from farflow.spec import STARTED_BY_PREFIX, Names, events_queue_shape, task_state_change_pattern

CLUSTER_ARN = "arn:aws:ecs:eu-west-1:111122223333:cluster/farflow"


def test_the_rule_matches_farflows_tasks_in_one_cluster_when_they_stopped() -> None:
    assert task_state_change_pattern(CLUSTER_ARN) == {
        "source": ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        "detail": {
            "clusterArn": [CLUSTER_ARN],
            "startedBy": [{"prefix": "farflow-"}],
            "lastStatus": ["STOPPED"],
        },
    }


def test_the_executor_starts_tasks_with_the_prefix_the_rule_matches() -> None:
    from farflow.executor.ecs_fargate_executor import started_by

    assert started_by("0123456789ab").startswith(STARTED_BY_PREFIX)


def test_names_follow_the_prefix() -> None:
    shape = events_queue_shape(Names(prefix="team-a"))
    assert (shape.queue_name, shape.dead_letter_queue_name, shape.rule_name) == (
        "team-a-task-events",
        "team-a-task-events-dlq",
        "team-a-task-state-changes",
    )


def test_the_local_queue_is_encrypted_long_polled_and_redrives_to_its_dlq() -> None:
    shape = events_queue_shape(Names())
    attributes = queue_attributes(shape, "arn:aws:sqs:us-east-1:1:farflow-task-events-dlq")
    assert attributes["SqsManagedSseEnabled"] == "true"
    assert attributes["ReceiveMessageWaitTimeSeconds"] == "20"
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": "arn:aws:sqs:us-east-1:1:farflow-task-events-dlq",
        "maxReceiveCount": shape.max_receive_count,
    }
