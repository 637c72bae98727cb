"""How ECS task state changes reach farflow's executor: an EventBridge rule, an SQS queue and its DLQ.

ECS publishes an "ECS Task State Change" event to the account's default bus each time a task's status
changes. A rule sends those of farflow's tasks (this cluster, `startedBy` farflow-<executor id>) to
an SQS queue that the scheduler long-polls (`[ecs_fargate] events_queue_url`). `farflow.local.seed`
renders this on the local endpoint; `farflow.deploy` renders it as CDK constructs (docs/executor.md,
"Task events"). Pure data: no platform here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from farflow.spec.names import Names

EVENT_SOURCE = "aws.ecs"
TASK_STATE_CHANGE = "ECS Task State Change"
# Every task farflow's executor starts carries startedBy = STARTED_BY_PREFIX + its executor id.
STARTED_BY_PREFIX = "farflow-"


def task_state_change_pattern(cluster_arn: str) -> dict[str, Any]:
    """The rule's event pattern: farflow's tasks in one cluster, when they have stopped.

    STOPPED is the only change the executor acts on (success, failure, relaunch); a task's other changes
    (PROVISIONING, PENDING, RUNNING, a stop requested) would be three more events per task to deliver,
    pay for and read. The executor handles any of them; the sweep covers a lost one.
    """
    return {
        "source": [EVENT_SOURCE],
        "detail-type": [TASK_STATE_CHANGE],
        "detail": {
            "clusterArn": [cluster_arn],
            "startedBy": [{"prefix": STARTED_BY_PREFIX}],
            "lastStatus": ["STOPPED"],
        },
    }


@dataclass(frozen=True)
class EventsQueueShape:
    """The queue the rule delivers to, its dead-letter queue and the rule, by name and settings."""

    queue_name: str
    dead_letter_queue_name: str
    rule_name: str
    # The executor deletes what it reads within milliseconds; a message it read and could not delete
    # comes back after this long, as a duplicate the executor drops.
    visibility_timeout_seconds: int = 30
    # Older events are superseded by the DescribeTasks a restarted scheduler makes when it adopts tasks.
    retention_seconds: int = 3600
    receive_wait_seconds: int = 20  # long polling by default, as the executor asks for it too
    # A message that cannot be read as an event (the executor leaves it) moves to the DLQ after this many.
    max_receive_count: int = 5
    dead_letter_retention_seconds: int = 14 * 24 * 3600  # SQS's maximum, for a person to look at


def events_queue_shape(names: Names) -> EventsQueueShape:
    return EventsQueueShape(
        queue_name=f"{names.prefix}-task-events",
        dead_letter_queue_name=f"{names.prefix}-task-events-dlq",
        rule_name=f"{names.prefix}-task-state-changes",
    )
