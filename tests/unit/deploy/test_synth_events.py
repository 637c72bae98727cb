"""ECS task state changes of farflow's tasks in this cluster flow into an encrypted SQS queue with a
dead-letter queue, all rendered from `farflow.spec.events`."""

from __future__ import annotations

from typing import Any

from farflow.spec import Names
from farflow.spec.events import events_queue_shape, task_state_change_pattern
from tests.support.deploy import Synthesized

SHAPE = events_queue_shape(Names())


def task_events_rule(stack: Synthesized) -> tuple[str, dict[str, Any]]:
    """The task state change rule (the alarms have a rule of their own)."""
    [found] = [
        (key, value)
        for key, value in stack.of_type("AWS::Events::Rule").items()
        if key.startswith("TaskEvents")
    ]
    return found


def test_rule_matches_this_clusters_farflow_task_state_changes(stack: Synthesized) -> None:
    cluster, _ = stack.one("AWS::ECS::Cluster")
    _, rule = task_events_rule(stack)
    assert rule["Properties"]["EventPattern"] == task_state_change_pattern(
        {"Fn::GetAtt": [cluster, "Arn"]}  # type: ignore[arg-type]
    )
    assert rule["Properties"]["EventPattern"]["detail"]["startedBy"] == [{"prefix": "farflow-"}]
    assert rule["Properties"]["Name"] == SHAPE.rule_name
    [target] = rule["Properties"]["Targets"]
    assert target["Arn"]["Fn::GetAtt"][0].startswith("TaskEventsQueue")


def test_queues_have_the_specs_names_and_settings(stack: Synthesized) -> None:
    queues = stack.of_type("AWS::SQS::Queue")
    main = next(queue for key, queue in queues.items() if key.startswith("TaskEventsQueue"))["Properties"]
    dead = next(queue for key, queue in queues.items() if key.startswith("TaskEventsDead"))["Properties"]
    assert main["QueueName"] == SHAPE.queue_name
    assert main["VisibilityTimeout"] == SHAPE.visibility_timeout_seconds
    assert main["MessageRetentionPeriod"] == SHAPE.retention_seconds
    assert main["ReceiveMessageWaitTimeSeconds"] == SHAPE.receive_wait_seconds
    assert dead["QueueName"] == SHAPE.dead_letter_queue_name
    assert dead["MessageRetentionPeriod"] == SHAPE.dead_letter_retention_seconds


def test_only_this_rule_may_send_to_the_queue(stack: Synthesized) -> None:
    rule, _ = task_events_rule(stack)
    policy = next(
        value
        for key, value in stack.of_type("AWS::SQS::QueuePolicy").items()
        if key.startswith("TaskEventsQueue")
    )
    [send] = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert send["Principal"] == {"Service": "events.amazonaws.com"}
    assert "sqs:SendMessage" in send["Action"]
    assert send["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule, "Arn"]}}}


def test_queues_are_encrypted_and_the_main_one_has_a_dead_letter_queue(stack: Synthesized) -> None:
    queues = stack.of_type("AWS::SQS::Queue")
    assert all(queue["Properties"]["SqsManagedSseEnabled"] for queue in queues.values())
    main = next(queue for key, queue in queues.items() if key.startswith("TaskEventsQueue"))
    dead = next(key for key in queues if key.startswith("TaskEventsDeadLetters"))
    assert main["Properties"]["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dead, "Arn"]},
        "maxReceiveCount": SHAPE.max_receive_count,
    }


def test_queues_refuse_plain_http(stack: Synthesized) -> None:
    for policy in stack.of_type("AWS::SQS::QueuePolicy").values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements
        )
