"""The tracker on a clock the test moves: rounds paced by poll_interval, 100 tasks a call, only changes reported."""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from farflow.executor.messages import Message, PhaseChanged, TaskMissing
from farflow.executor.task_state import view_of
from farflow.executor.tracker import DESCRIBE_BATCH, Tracker
from tests.unit.executor.fakes import ACCOUNT_TASK_ARN, CLUSTER, FakeClock, FakeEcs, aws_error, until

POLL_INTERVAL = 1 / 8  # the tracker waits out the rest of an interval in real time: keep it short
UNKNOWN = f"{ACCOUNT_TASK_ARN}{'f' * 32}"


class Watch:
    """A tracker with its clock, its ECS and a reader of what it reported."""

    def __init__(self, client: Callable[[], Any] | None = None, **events: Any) -> None:
        self.clock = FakeClock()
        self.ecs = FakeEcs(self.clock)
        self.results: queue.SimpleQueue[Message] = queue.SimpleQueue()
        self.tracker = Tracker(
            client or (lambda: self.ecs), CLUSTER, self.results, POLL_INTERVAL, self.clock, **events
        )

    def reported(self) -> list[Message]:
        messages = []
        while not self.results.empty():
            messages.append(self.results.get())
        return messages

    def phases(self) -> list[tuple[str, str]]:
        return [(m.arn, m.phase) for m in self.reported() if isinstance(m, PhaseChanged)]


@pytest.fixture
def watch() -> Iterator[Watch]:
    made = Watch()
    yield made
    made.tracker.stop()


def test_a_round_reports_only_the_phases_that_changed(watch: Watch) -> None:
    first, second = watch.ecs.start_task(), watch.ecs.start_task()
    watch.tracker.track(first)
    watch.tracker.track(second)
    watch.tracker.describe_round()
    assert watch.reported() == []  # both still PROVISIONING: "pending", as tracked

    watch.ecs.set_status(first, "RUNNING", startedAt="2026-01-01T00:00:00Z")
    watch.tracker.describe_round()
    assert watch.phases() == [(first, "running")]
    watch.tracker.describe_round()
    assert watch.reported() == []

    watch.ecs.set_status(first, "STOPPED", stopCode="EssentialContainerExited")
    watch.ecs.set_status(second, "DEPROVISIONING")  # never started: still "pending" for Airflow
    watch.tracker.describe_round()
    [stopped] = watch.reported()
    assert isinstance(stopped, PhaseChanged) and (stopped.arn, stopped.phase) == (first, "stopped")
    assert stopped.task["stopCode"] == "EssentialContainerExited"


def test_an_adopted_task_reports_its_first_phase_whatever_it_is(watch: Watch) -> None:
    arn = watch.ecs.start_task()
    watch.tracker.track(arn, phase="adopted")
    watch.tracker.describe_round()
    assert watch.phases() == [(arn, "pending")]


def test_untracked_tasks_are_neither_described_nor_reported(watch: Watch) -> None:
    kept, dropped = watch.ecs.start_task(), watch.ecs.start_task()
    watch.tracker.track(kept)
    watch.tracker.track(dropped)
    watch.tracker.untrack(dropped)
    watch.ecs.set_status(dropped, "RUNNING")
    watch.tracker.describe_round()
    assert watch.ecs.describe_calls[-1][1] == [kept]
    assert watch.reported() == []


def test_a_task_ecs_no_longer_knows_is_reported_missing(watch: Watch) -> None:
    watch.tracker.track(UNKNOWN)
    watch.tracker.describe_round()
    assert watch.reported() == [TaskMissing(UNKNOWN)]


def test_a_round_describes_one_hundred_tasks_a_call(watch: Watch) -> None:
    arns = [watch.ecs.start_task() for _ in range(2 * DESCRIBE_BATCH + 50)]
    for arn in arns:
        watch.tracker.track(arn)
    watch.tracker.describe_round()
    batches = [tasks for _, tasks in watch.ecs.describe_calls]
    assert [len(batch) for batch in batches] == [100, 100, 50]
    assert sorted(arn for batch in batches for arn in batch) == sorted(arns)
    assert (watch.tracker.rounds, watch.tracker.describe_calls) == (1, 3)


def test_known_says_which_tasks_ecs_still_knows_in_batches_of_one_hundred(watch: Watch) -> None:
    arns = [watch.ecs.start_task() for _ in range(DESCRIBE_BATCH + 1)]
    assert watch.tracker.known([*arns, UNKNOWN]) == set(arns)
    assert [len(tasks) for _, tasks in watch.ecs.describe_calls] == [100, 2]
    assert watch.reported() == []  # asking is not tracking


def test_rounds_start_on_a_poke_and_no_sooner_than_poll_interval_apart(watch: Watch) -> None:
    watch.tracker.track(watch.ecs.start_task())
    watch.tracker.start()
    start = watch.clock()
    watch.tracker.poke()
    until(lambda: watch.tracker.rounds == 1, what="the first round, at once")

    def poke_and_tick() -> None:
        watch.tracker.poke()
        watch.clock.advance(1 / 16)  # exact in binary, so the clock's sums carry no rounding

    until(lambda: watch.tracker.rounds >= 4, step=poke_and_tick, what="three more rounds")
    elapsed = watch.clock() - start
    assert watch.tracker.rounds <= 1 + elapsed // POLL_INTERVAL


def test_a_poke_that_comes_early_is_served_when_the_interval_has_passed(watch: Watch) -> None:
    watch.tracker.track(watch.ecs.start_task())
    watch.tracker.start()
    watch.tracker.poke()
    until(lambda: watch.tracker.rounds == 1, what="the first round")
    watch.tracker.poke()  # too early: remembered, not dropped
    watch.clock.advance(POLL_INTERVAL)
    until(lambda: watch.tracker.rounds == 2, what="the round the early poke asked for")


def test_a_failed_round_is_logged_and_the_next_one_runs(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []
    watch = Watch(client=lambda: failing_once(calls, watch.ecs))
    try:
        watch.tracker.track(watch.ecs.start_task())
        watch.tracker.start()
        watch.tracker.poke()
        until(lambda: watch.tracker.rounds == 1, what="the failing round")
        watch.clock.advance(POLL_INTERVAL)
        watch.tracker.poke()
        until(lambda: len(watch.ecs.describe_calls) == 1, what="the round after it")
        assert "DescribeTasks failed (ConnectionError: the network blinked)" in caplog.text
        [failed] = [record for record in caplog.records if "DescribeTasks failed" in record.message]
        assert failed.exc_info is not None  # not an AWS error: maybe a bug, so its traceback is kept
    finally:
        watch.tracker.stop()


def failing_once(calls: list[int], ecs: FakeEcs) -> Any:
    calls.append(1)
    if len(calls) == 1:
        raise ConnectionError("the network blinked")
    return ecs


class Outage:
    """An ECS whose DescribeTasks answers AWS's `code` while `down`; a test ends the outage."""

    def __init__(self, code: str, status: int) -> None:
        self.code, self.status, self.down = code, status, True
        self.ecs: FakeEcs | None = None

    def __call__(self) -> Any:
        if self.down:
            raise aws_error(self.code, self.status, "the service is having a bad day", "DescribeTasks")
        return self.ecs


def failure_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.getMessage().startswith("DescribeTasks failed")]


def test_a_long_describe_outage_logs_one_line_with_the_code_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="farflow.executor.tracker")
    outage = Outage("ServiceUnavailableException", 503)
    watch = Watch(client=outage, warning_interval=10.0)
    outage.ecs = watch.ecs
    watch.tracker.track(watch.ecs.start_task())
    watch.tracker.start()
    try:

        def poke_and_tick() -> None:
            watch.tracker.poke()
            watch.clock.advance(POLL_INTERVAL)

        until(lambda: watch.tracker.failed_rounds >= 20, step=poke_and_tick, what="20 failed rounds")
        assert watch.clock() - 1000.0 < 10.0  # all within one interval, on the tracker's clock
        [line] = failure_lines(caplog)
        assert "ServiceUnavailableException" in line.getMessage() and "1 tracked task" in line.getMessage()
        assert not line.exc_info  # one line, no traceback

        watch.clock.advance(10.0)
        rounds = watch.tracker.failed_rounds
        until(lambda: watch.tracker.failed_rounds > rounds + 5, step=poke_and_tick, what="rounds after it")
        assert len(failure_lines(caplog)) == 2

        outage.down = False
        until(lambda: watch.tracker.failed_rounds == 0, step=poke_and_tick, what="a round that works")
        assert "DescribeTasks works again" in caplog.text
        assert len(failure_lines(caplog)) == 2
    finally:
        watch.tracker.stop()


def test_expired_credentials_in_a_round_rebuild_the_clients() -> None:
    rebuilt: list[int] = []
    outage = Outage("ExpiredTokenException", 400)
    watch = Watch(client=outage, on_credentials_error=lambda: rebuilt.append(1))
    watch.tracker.track(watch.ecs.start_task())
    watch.tracker.start()
    try:
        watch.tracker.poke()
        until(lambda: rebuilt == [1], what="the clients to be rebuilt")
    finally:
        watch.tracker.stop()


# --- with task state change events -----------------------------------------------------------------

RECONCILE = 60.0
OURS = "farflow-0123456789ab"


WALL = 1_800_000_000.0  # the Unix time the tests' events happen at


@pytest.fixture
def events() -> Iterator[Watch]:
    made = Watch(reconcile_interval=RECONCILE, started_by=OURS, wall_clock=lambda: WALL)
    yield made
    made.tracker.stop()


def event(arn: str, status: str, version: int, started_by: str = OURS, at: float = WALL) -> Any:
    task = {"taskArn": arn, "lastStatus": status, "version": version, "startedBy": started_by}
    return view_of(task, described=False, at=at)


def test_events_report_each_phase_once_in_version_order(events: Watch) -> None:
    arn = events.ecs.start_task()
    events.tracker.track(arn)
    for status, version in [("RUNNING", 3), ("PENDING", 2), ("RUNNING", 3), ("STOPPED", 5), ("RUNNING", 4)]:
        events.tracker.observe(event(arn, status, version))
    assert events.phases() == [(arn, "running"), (arn, "stopped")]
    assert events.tracker.views == {"changed": 2, "stale": 2, "duplicate": 1}


def test_events_of_tasks_this_executor_did_not_start_are_ignored(events: Watch) -> None:
    events.tracker.observe(event(UNKNOWN, "STOPPED", 9, started_by="farflow-another0000"))
    events.tracker.track(UNKNOWN)  # even if this executor tracked the ARN later, a foreign event is gone
    assert events.reported() == [] and events.tracker.views == {"foreign": 1}


def test_an_event_that_comes_before_its_task_is_tracked_counts_when_it_is(events: Watch) -> None:
    arn = events.ecs.start_task()
    events.tracker.observe(event(arn, "STOPPED", 4))  # RunTask's answer still on its way to sync()
    assert events.reported() == []
    events.tracker.track(arn)
    assert events.phases() == [(arn, "stopped")]


def test_events_before_tracking_keep_the_newest_and_count_the_rest_as_duplicate_or_stale(
    events: Watch,
) -> None:
    arn = events.ecs.start_task()
    for status, version in [("RUNNING", 3), ("RUNNING", 3), ("PENDING", 2), ("STOPPED", 5)]:
        events.tracker.observe(event(arn, status, version))
    events.tracker.track(arn)
    assert events.phases() == [(arn, "stopped")]
    assert events.tracker.views == {"early": 2, "duplicate": 1, "stale": 1, "changed": 1}


def test_events_after_a_task_ended_are_duplicate_or_stale_and_not_held(events: Watch) -> None:
    arn = events.ecs.start_task()
    events.tracker.track(arn)
    events.tracker.observe(event(arn, "STOPPED", 5))
    events.tracker.untrack(arn)  # the executor is done with it
    events.tracker.observe(event(arn, "STOPPED", 5))  # an at-least-once copy
    events.tracker.observe(event(arn, "RUNNING", 3))  # delayed past the end
    events.tracker.track(arn)  # had they been held as early, this would report them again
    assert events.phases() == [(arn, "stopped")]
    assert events.tracker.views == {"changed": 1, "duplicate": 1, "stale": 1}


def test_with_events_only_tasks_unheard_of_for_the_interval_are_described(events: Watch) -> None:
    quiet = [events.ecs.start_task() for _ in range(3)]
    for arn in quiet:
        events.tracker.track(arn)
    events.tracker.describe_round()
    assert events.ecs.describe_calls == []  # everything was heard of just now

    events.clock.advance(RECONCILE / 2)
    chatty = events.ecs.start_task()
    events.tracker.track(chatty)
    events.clock.advance(RECONCILE / 2)
    events.tracker.describe_round()
    # The three quiet tasks are due; the call has room for the fourth, so it is described too.
    assert sorted(events.ecs.describe_calls[-1][1]) == sorted([*quiet, chatty])
    assert events.tracker.rounds == 1


def test_the_sweep_fills_whole_calls_with_the_longest_unheard_and_no_more(events: Watch) -> None:
    older = [events.ecs.start_task() for _ in range(DESCRIBE_BATCH + 10)]
    for arn in older:
        events.tracker.track(arn)
    events.clock.advance(1.0)
    newer = [events.ecs.start_task() for _ in range(DESCRIBE_BATCH * 2)]
    for arn in newer:
        events.tracker.track(arn)
    events.clock.advance(RECONCILE - 0.5)  # only the older ones are due
    events.tracker.describe_round()
    described = [arn for _, batch in events.ecs.describe_calls for arn in batch]
    assert len(events.ecs.describe_calls) == 2 and len(described) == 2 * DESCRIBE_BATCH
    assert set(older) <= set(described)


def test_a_lost_event_is_found_by_the_sweep_after_the_interval(events: Watch) -> None:
    arn = events.ecs.start_task()
    events.tracker.track(arn)
    events.tracker.observe(event(arn, "RUNNING", 3))
    events.ecs.set_status(arn, "STOPPED", version=5)  # its STOPPED event never comes
    events.clock.advance(RECONCILE - 1)
    events.tracker.describe_round()
    assert events.phases() == [(arn, "running")]
    events.clock.advance(1)
    events.tracker.describe_round()
    assert events.phases() == [(arn, "stopped")]


def test_a_description_older_than_an_event_already_applied_changes_nothing(events: Watch) -> None:
    arn = events.ecs.start_task()
    events.tracker.track(arn, phase="adopted")
    events.ecs.set_status(arn, "RUNNING", version=3)
    events.tracker.observe(event(arn, "STOPPED", 4))  # overtakes the answer below
    events.tracker.describe_round()
    assert events.phases() == [(arn, "stopped")]


def test_adopted_tasks_are_described_in_the_next_round(events: Watch) -> None:
    arn = events.ecs.start_task()
    events.tracker.track(arn, phase="adopted")
    events.tracker.describe_round()
    assert events.phases() == [(arn, "pending")]


def test_while_the_queue_cannot_be_read_every_task_is_described_each_round(events: Watch) -> None:
    arn = events.ecs.start_task()
    events.tracker.track(arn)
    events.tracker.events_healthy(False)
    events.tracker.describe_round()
    events.tracker.events_healthy(True)
    events.tracker.describe_round()
    assert [batch for _, batch in events.ecs.describe_calls] == [[arn]]


def test_an_event_that_waited_in_the_queue_is_news_only_as_of_when_it_happened(events: Watch) -> None:
    arn = events.ecs.start_task()
    events.tracker.track(arn)
    events.tracker.observe(event(arn, "RUNNING", 3, at=WALL - RECONCILE))  # a minute late: stale news
    assert events.phases() == [(arn, "running")]
    events.ecs.set_status(arn, "STOPPED", version=5)  # its STOPPED event is somewhere behind
    events.tracker.describe_round()  # due at once: nothing current has been heard for the interval
    assert events.phases() == [(arn, "stopped")]


def test_a_round_waits_its_turn_before_choosing_tasks_and_before_each_answer() -> None:
    reported_at_turn: list[int] = []
    watch: Watch | None = None

    def turn() -> bool:
        assert watch is not None
        reported_at_turn.append(watch.results.qsize())
        return True

    watch = Watch(wait_for_heartbeat=turn)
    try:
        arn = watch.ecs.start_task()
        watch.tracker.track(arn)
        watch.ecs.set_status(arn, "RUNNING", startedAt="2026-01-01T00:00:00Z")
        watch.tracker.describe_round()
        assert reported_at_turn == [0, 0]  # before the round, and before its one answer is applied
        assert watch.phases() == [(arn, "running")]
    finally:
        watch.tracker.stop()
