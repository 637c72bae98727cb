"""ECS task state changes of farflow's tasks, from EventBridge into an SQS queue the executor reads.

Rendered from `farflow.spec.events`, which the local seed renders too: the rule's pattern (this
cluster, tasks whose startedBy is farflow's), the queue's and dead-letter queue's names and settings.
Both queues are SSE-SQS encrypted (so the scheduler needs no KMS grant to read) and refuse plain HTTP;
the queue's policy lets EventBridge send from this rule only (aws:SourceArn, CDK's SqsQueue target).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from farflow.deploy.nag import acknowledge, acknowledge_checkov
from farflow.spec import Names
from farflow.spec.events import events_queue_shape, task_state_change_pattern


@dataclass(frozen=True)
class TaskEventsProps:
    names: Names
    cluster: ecs.ICluster


def event_pattern(cluster_arn: str) -> events.EventPattern:
    """The spec's pattern as CDK's EventPattern (every key of it, or an error)."""
    pattern = dict(task_state_change_pattern(cluster_arn))
    rendered = events.EventPattern(
        source=pattern.pop("source"), detail_type=pattern.pop("detail-type"), detail=pattern.pop("detail")
    )
    if pattern:
        raise ValueError(f"Cannot render the event pattern's {sorted(pattern)}")
    return rendered


class TaskEvents(Construct):
    """The rule, `queue` (its target, read by the executor) and `dead_letters`."""

    def __init__(self, scope: Construct, construct_id: str, props: TaskEventsProps) -> None:
        super().__init__(scope, construct_id)
        shape = events_queue_shape(props.names)
        self.dead_letters = self._queue(
            "DeadLetters", shape.dead_letter_queue_name, shape.dead_letter_retention_seconds
        )
        acknowledge(self.dead_letters, "SQS3", "This is the dead-letter queue of the task events queue.")
        self.queue = self._queue(
            "Queue",
            shape.queue_name,
            shape.retention_seconds,
            visibility_timeout=Duration.seconds(shape.visibility_timeout_seconds),
            receive_message_wait_time=Duration.seconds(shape.receive_wait_seconds),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letters, max_receive_count=shape.max_receive_count
            ),
        )
        self.rule = events.Rule(
            self,
            "TaskStateChange",
            rule_name=shape.rule_name,
            description="ECS task state changes of the tasks farflow's executor starts in this cluster",
            event_pattern=event_pattern(props.cluster.cluster_arn),
            targets=[targets.SqsQueue(self.queue)],
        )

    def _queue(self, construct_id: str, name: str, retention_seconds: int, **settings: Any) -> sqs.Queue:
        """SSE-SQS encrypted (no KMS grant needed to read), TLS only."""
        queue = sqs.Queue(
            self,
            construct_id,
            queue_name=name,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.seconds(retention_seconds),
            **settings,
        )
        acknowledge_checkov(queue, "CKV_AWS_27", SSE_SQS)
        return queue


SSE_SQS = (
    "Encrypted at rest with SSE-SQS (SqsManagedSseEnabled), which this check does not recognise: it asks "
    "for a KMS key, whose policy would have to admit EventBridge and which the scheduler would need a "
    "grant on to read."
)
