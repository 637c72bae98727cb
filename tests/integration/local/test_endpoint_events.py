"""The endpoint publishes every task state change as ECS does, and rules on its bus deliver them to SQS."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from farflow.local.endpoint import FaultSettings, LocalEcsEndpoint
from farflow.local.seed import seed_events
from farflow.spec import Names
from tests.integration.local.conftest import CLUSTER, Local, seed
from tests.support.polling import wait_until

STARTED_BY = "farflow-test"


@pytest.fixture
def idle() -> Iterator[Local]:
    """An endpoint whose tasks run no process (execute=False), seeded, with the events queue and rule."""
    with LocalEcsEndpoint(execute=False) as endpoint:
        yield seed(endpoint)


def events_queue(local: Local) -> str:
    """A queue with a rule that takes every ECS task state change."""
    sqs, rules = local.endpoint.client("sqs"), local.endpoint.client("events")
    url = sqs.create_queue(QueueName="every-task-event")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["aws.ecs"], "detail-type": ["ECS Task State Change"]}
    rules.put_rule(Name="every-task-event", EventPattern=json.dumps(pattern))
    rules.put_targets(Rule="every-task-event", Targets=[{"Id": "queue", "Arn": arn}])
    return str(url)


def farflow_queue(local: Local) -> str:
    """The queue and rule the local stack seeds (farflow.spec.events), as the deploy creates them."""
    cluster_arn = local.ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]["clusterArn"]
    return seed_events(local.endpoint.url, "us-east-1", cluster_arn, Names(prefix=CLUSTER))


def receive(local: Local, queue_url: str, wait: int = 0) -> list[dict[str, Any]]:
    sqs = local.endpoint.client("sqs")
    answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait)
    return [json.loads(message["Body"]) for message in answer.get("Messages", [])]


def drain(local: Local, queue_url: str, count: int) -> list[dict[str, Any]]:
    """Read (without deleting) until `count` events were seen."""
    seen: list[dict[str, Any]] = []
    wait_until(
        lambda: seen.extend(receive(local, queue_url)) or len(seen) >= count,
        what=f"{count} events",
        timeout=15.0,
    )
    return seen


def launch(local: Local, started_by: str = STARTED_BY) -> str:
    tasks = local.run(local.register(["true"]), startedBy=started_by)["tasks"]
    return str(tasks[0]["taskArn"])


def test_a_tasks_changes_arrive_as_ecs_task_state_change_events(idle: Local) -> None:
    queue_url = events_queue(idle)
    arn = launch(idle)
    idle.wait_status(arn, "RUNNING")
    assert idle.endpoint.exit_task(arn, 3)
    events = sorted(drain(idle, queue_url, 4), key=lambda event: event["detail"]["version"])

    assert {event["detail-type"] for event in events} == {"ECS Task State Change"}
    assert {event["source"] for event in events} == {"aws.ecs"}
    assert [event["resources"] for event in events] == [[arn]] * 4
    details = [event["detail"] for event in events]
    assert [(d["lastStatus"], d["desiredStatus"]) for d in details] == [
        ("PROVISIONING", "RUNNING"),
        ("PENDING", "RUNNING"),
        ("RUNNING", "RUNNING"),
        ("STOPPED", "STOPPED"),
    ]
    assert [d["version"] for d in details] == [1, 2, 3, 4]
    stopped = details[-1]
    assert stopped["stopCode"] == "EssentialContainerExited"
    assert stopped["containers"][0]["exitCode"] == 3
    assert stopped["startedBy"] == STARTED_BY
    assert stopped["stoppedAt"].endswith("Z") and "T" in stopped["stoppedAt"]  # ISO strings, as ECS sends
    assert stopped["cpu"] == "256" and stopped["memory"] == "512"
    assert "tags" not in stopped
    # DescribeTasks shows the same version as the last event.
    assert idle.describe(arn)["version"] == 4


def test_farflows_rule_passes_only_its_tasks_once_they_stopped(idle: Local) -> None:
    queue_url = farflow_queue(idle)
    theirs, ours = launch(idle, started_by="someone-else"), launch(idle)
    for arn in (theirs, ours):
        idle.wait_status(arn, "RUNNING")
        assert idle.endpoint.exit_task(arn, 0)
    [event] = drain(idle, queue_url, 1)
    assert (event["detail"]["taskArn"], event["detail"]["lastStatus"]) == (ours, "STOPPED")
    assert idle.endpoint.event_counts()["published"] == 8  # both tasks' four changes reached the bus
    assert receive(idle, queue_url) == []


def test_dropped_events_never_arrive_and_duplicated_ones_arrive_twice(idle: Local) -> None:
    queue_url = events_queue(idle)
    idle.endpoint.faults = FaultSettings(event_drop_rate=1.0)
    dropped = launch(idle)
    idle.wait_status(dropped, "RUNNING")
    idle.endpoint.faults = FaultSettings(event_duplicate_rate=1.0)
    doubled = launch(idle)
    idle.wait_status(doubled, "RUNNING")
    events = drain(idle, queue_url, 6)
    versions = sorted(event["detail"]["version"] for event in events)
    assert {event["detail"]["taskArn"] for event in events} == {doubled}
    assert versions == [1, 1, 2, 2, 3, 3]
    counts = idle.endpoint.event_counts()
    assert counts["dropped"] == 3 and counts["duplicated"] == 3


def test_delayed_events_arrive_after_later_ones(idle: Local) -> None:
    queue_url = events_queue(idle)
    idle.endpoint.faults = FaultSettings(event_reorder_rate=0.5, seed=2)
    arns = [launch(idle) for _ in range(4)]
    for arn in arns:
        idle.wait_status(arn, "RUNNING")
    events = drain(idle, queue_url, 12)
    arrival = {arn: [e["detail"]["version"] for e in events if e["detail"]["taskArn"] == arn] for arn in arns}
    assert any(versions != sorted(versions) for versions in arrival.values()), arrival
    assert idle.endpoint.event_counts()["delayed"] > 0


def receive_calls(local: Local) -> int:
    """ReceiveMessage calls that reached the endpoint (counted as each arrives, before it is answered)."""
    return sum(counts.get("ReceiveMessage", 0) for counts in local.endpoint.client_calls().values())


def test_a_long_poll_waits_without_holding_up_other_calls(idle: Local) -> None:
    queue_url = events_queue(idle)
    answers: list[list[dict[str, Any]]] = []
    order: list[str] = []

    def poll() -> None:
        answers.append(receive(idle, queue_url, wait=20))
        order.append("poll answered")

    before = receive_calls(idle)
    waiter = threading.Thread(target=poll, daemon=True)
    waiter.start()
    # The poll is at the endpoint, on an empty queue, before the launch: it waits there.
    wait_until(lambda: receive_calls(idle) > before, what="the long poll to reach the endpoint", timeout=15.0)
    arn = launch(idle)
    order.append("launch answered")
    waiter.join(timeout=30)
    # Answered while the poll waited (moto's lock is not held by a waiting poll), and the poll then
    # returned the new task's first event rather than waiting out its 20 s.
    assert order == ["launch answered", "poll answered"], order
    assert answers and answers[0], "the waiting poll returned the new task's first event"
    assert {event["detail"]["taskArn"] for event in answers[0]} == {arn}


def test_exit_task_is_only_for_tasks_running_without_a_process(idle: Local) -> None:
    arn = launch(idle)
    idle.wait_status(arn, "RUNNING")
    assert idle.endpoint.exit_task(arn, 0)
    assert not idle.endpoint.exit_task(arn, 0)
    task = idle.wait_status(arn, "STOPPED")
    assert task["containers"][0]["exitCode"] == 0
    assert task["stopCode"] == "EssentialContainerExited"
