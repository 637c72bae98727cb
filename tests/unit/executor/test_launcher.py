"""The launcher on a clock the test moves: backoff, the capacity deadline, cancel, and throttling's effect on the rate.

The launcher's threads, delay queue and rate limiter are real; ECS is a FakeEcs that records the (fake) time of
each call, so "no sooner than" is checked exactly, with no real waiting on backoff.
"""

from __future__ import annotations

import json
import logging
import queue
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, NoCredentialsError

from farflow.executor import launcher as launcher_module
from farflow.executor.launcher import CAPACITY_BACKOFF, TRANSIENT_BACKOFF, Launcher, LaunchJob, Prepared
from farflow.executor.messages import Launched, LaunchFailed, LaunchRetried, Message, Rejected
from farflow.executor.outcomes import LaunchVerdict
from farflow.executor.request import InvalidTaskRequest
from farflow.executor.workload_writer import WorkloadWriter
from farflow.spec.run_task_errors import THROTTLE_CODES
from farflow.workload.reference import parse_store_url
from tests.unit.executor.fakes import FakeClock, FakeEcs, FakeS3, aws_error, until

RATE = 20.0
STORE = "s3://farflow-workloads/workloads/"
SECRET = "eyJ.secret-workload-token.x"
NO_CAPACITY = {"tasks": [], "failures": [{"reason": "RESOURCE:FARGATE", "detail": "no Fargate capacity"}]}


@dataclass
class Harness:
    """A launcher with its clock, its ECS and the messages it has reported so far."""

    launcher: Launcher
    results: queue.SimpleQueue[Message]
    clock: FakeClock
    ecs: FakeEcs
    clients_made: list[float]
    """When the launcher made an ECS client (the clock's time): once at start, again after a credentials error."""
    s3: FakeS3
    writer: WorkloadWriter | None
    messages: list[Message] = field(default_factory=list)
    builds: list[Any] = field(default_factory=list)

    def job(
        self,
        key: str,
        build: Callable[[], Mapping[str, Any]] | None = None,
        *,
        airflow_token_deadline: float | None = None,
    ) -> LaunchJob:
        """A launch of `key`; with the harness's store, its workload (holding SECRET) is stored first."""

        def counted() -> Prepared:
            self.builds.append(key)
            request = build() if build else {"cluster": "farflow", "clientToken": f"token-{key}"}
            if self.writer is None:
                return Prepared(request)
            body = json.dumps({"token": SECRET, "key": key}).encode()
            return Prepared(request, self.writer.stash("farflow-airflow:3", f"token-{key}", body))

        return LaunchJob(key, counted, self.clock(), airflow_token_deadline=airflow_token_deadline)

    def collect(self) -> None:
        while not self.results.empty():
            self.messages.append(self.results.get())

    def run_until(self, done: Callable[[], bool], what: str, tick: float = 0.05) -> None:
        """Move the clock on in `tick` steps until `done()` holds for the messages collected so far."""

        def step() -> None:
            self.collect()
            self.clock.advance(tick)
            self.launcher.submit()  # submitting nothing wakes the launcher's threads to read the moved clock

        until(lambda: (self.collect(), done())[1], step=step, what=what)

    def reported(self, kind: type) -> list[Any]:
        return [message for message in self.messages if isinstance(message, kind)]

    def call_times(self) -> list[float]:
        return [at for at, _ in self.ecs.run_task_calls]


@pytest.fixture(autouse=True)
def full_jitter_is_its_maximum(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff waits its whole bound, so each wait is known exactly."""
    monkeypatch.setattr(launcher_module.random, "uniform", lambda low, high: high)


@pytest.fixture
def make_launcher() -> Iterator[Callable[..., Harness]]:
    started: list[Launcher] = []

    def factory(start: bool = True, store: bool = False, **options: Any) -> Harness:
        clock = FakeClock()
        ecs = FakeEcs(clock)
        s3 = FakeS3(clock)
        writer = WorkloadWriter(parse_store_url(STORE), lambda: s3) if store else None
        clients_made: list[float] = []

        def make_client() -> FakeEcs:
            clients_made.append(clock())
            return ecs

        results: queue.SimpleQueue[Message] = queue.SimpleQueue()
        settings = {
            "rate": RATE,
            "burst": 100,
            "concurrency": 1,
            "capacity_retry_seconds": 600.0,
            "warning_interval": 60.0,
        }
        launcher = Launcher(make_client, results, clock=clock, writer=writer, **(settings | options))
        if start:
            launcher.start()
        started.append(launcher)
        return Harness(launcher, results, clock, ecs, clients_made, s3, writer)

    yield factory
    for launcher in started:
        launcher.stop()


def test_a_launch_reports_its_arn_and_the_time_since_it_was_queued(
    make_launcher: Callable[..., Harness],
) -> None:
    harness = make_launcher()
    job = harness.job("a")
    harness.clock.advance(1.5)
    harness.launcher.submit(job)
    harness.run_until(lambda: bool(harness.reported(Launched)), "the launch", tick=0)
    [launched] = harness.messages
    assert isinstance(launched, Launched)
    assert (launched.key, launched.arn, launched.latency) == ("a", next(iter(harness.ecs.tasks)), 1.5)


def test_transient_errors_retry_with_a_doubling_backoff_and_the_same_request(
    make_launcher: Callable[..., Harness],
) -> None:
    harness = make_launcher()
    harness.ecs.answer_run_task(aws_error("ServerException", 500), aws_error("ServerException", 500))
    harness.launcher.submit(harness.job("a"))
    harness.run_until(lambda: bool(harness.reported(Launched)), "the launch after two retries")
    assert [type(message) for message in harness.messages] == [LaunchRetried, LaunchRetried, Launched]
    assert all(retry.verdict is LaunchVerdict.RETRY for retry in harness.reported(LaunchRetried))
    first, second, third = harness.call_times()
    base = TRANSIENT_BACKOFF.base  # the jitter is pinned to its top: base, then twice base
    assert second - first >= base and third - second >= 2 * base
    assert harness.builds == ["a"]  # built once: every retry sends the same clientToken
    assert {request["clientToken"] for _, request in harness.ecs.run_task_calls} == {"token-a"}


def test_no_capacity_retries_until_the_deadline_then_fails_saying_how_long_it_waited(
    make_launcher: Callable[..., Harness],
) -> None:
    harness = make_launcher(capacity_retry_seconds=10.0)
    harness.ecs.answer_run_task(*[NO_CAPACITY] * 20)
    harness.launcher.submit(harness.job("a"))
    harness.run_until(lambda: bool(harness.reported(LaunchFailed)), "the capacity deadline", tick=0.25)
    retries, [failed] = harness.reported(LaunchRetried), harness.reported(LaunchFailed)
    assert retries and all(retry.verdict is LaunchVerdict.CAPACITY for retry in retries)
    assert failed.verdict is LaunchVerdict.CAPACITY
    waited = re.search(r"waited (\d+) s for capacity", failed.reason)
    assert waited and int(waited.group(1)) >= 10
    assert "AIRFLOW__ECS_FARGATE__CAPACITY_RETRY_SECONDS" in failed.reason
    times = harness.call_times()
    assert times[1] - times[0] >= CAPACITY_BACKOFF.base  # (and never passes the deadline)
    assert times[-1] - times[0] >= 10.0


def test_no_capacity_with_a_zero_deadline_fails_at_the_first_answer(
    make_launcher: Callable[..., Harness],
) -> None:
    harness = make_launcher(capacity_retry_seconds=0.0)
    harness.ecs.answer_run_task(NO_CAPACITY)
    harness.launcher.submit(harness.job("a"))
    harness.run_until(lambda: bool(harness.messages), "the failure", tick=0)
    assert [type(message) for message in harness.messages] == [LaunchFailed]
    assert len(harness.ecs.run_task_calls) == 1


def test_a_cancelled_launch_is_never_sent(make_launcher: Callable[..., Harness]) -> None:
    harness = make_launcher(start=False)
    harness.launcher.submit(harness.job("cancelled"), harness.job("kept"))
    harness.launcher.cancel("cancelled")
    harness.launcher.start()
    harness.run_until(lambda: bool(harness.reported(Launched)), "the kept launch", tick=0)
    assert [message.key for message in harness.messages] == ["kept"]
    assert [request["clientToken"] for _, request in harness.ecs.run_task_calls] == ["token-kept"]
    assert harness.builds == ["kept"]


def test_a_launch_cancelled_while_waiting_to_retry_is_not_retried(
    make_launcher: Callable[..., Harness],
) -> None:
    harness = make_launcher()
    harness.ecs.answer_run_task(aws_error("ServerException", 500))
    harness.launcher.submit(harness.job("cancelled"))
    harness.run_until(lambda: bool(harness.reported(LaunchRetried)), "the first attempt", tick=0)
    harness.launcher.cancel("cancelled")
    harness.clock.advance(1.0)  # past its backoff: it is due, then dropped, before the next launch is taken
    harness.launcher.submit(harness.job("next"))
    harness.run_until(lambda: bool(harness.reported(Launched)), "the next launch", tick=0)
    assert [request["clientToken"] for _, request in harness.ecs.run_task_calls] == [
        "token-cancelled",
        "token-next",
    ]


def test_resubmitting_a_cancelled_key_launches_it(make_launcher: Callable[..., Harness]) -> None:
    harness = make_launcher(start=False)
    harness.launcher.cancel("a")
    harness.launcher.submit(harness.job("a"))
    harness.launcher.start()
    harness.run_until(lambda: bool(harness.reported(Launched)), "the launch", tick=0)
    assert [message.key for message in harness.messages] == ["a"]


@pytest.mark.parametrize("code", sorted(THROTTLE_CODES))
def test_a_throttle_halves_the_rate_and_says_so_and_successes_win_it_back(
    make_launcher: Callable[..., Harness], code: str
) -> None:
    harness = make_launcher()
    harness.ecs.answer_run_task(aws_error(code))
    harness.launcher.submit(harness.job("a"))
    harness.run_until(lambda: bool(harness.reported(LaunchRetried)), "the throttle", tick=0)
    [retried] = harness.messages
    assert isinstance(retried, LaunchRetried)
    assert retried.throttled and retried.verdict is LaunchVerdict.RETRY
    assert harness.launcher.rate_limiter.rate == RATE / 2
    harness.run_until(lambda: bool(harness.reported(Launched)), "the launch after the throttle")
    assert harness.launcher.rate_limiter.rate == pytest.approx(RATE / 2 + RATE * 0.02)


def test_other_transient_errors_leave_the_rate_alone(make_launcher: Callable[..., Harness]) -> None:
    harness = make_launcher()
    harness.ecs.answer_run_task(aws_error("ServiceUnavailable", 503))
    harness.launcher.submit(harness.job("a"))
    harness.run_until(lambda: bool(harness.reported(Launched)), "the launch")
    [retried, _] = harness.messages
    assert isinstance(retried, LaunchRetried) and not retried.throttled
    assert harness.launcher.rate_limiter.rate == RATE


def test_a_permanent_error_fails_the_launch_at_once(make_launcher: Callable[..., Harness]) -> None:
    harness = make_launcher()
    harness.ecs.answer_run_task(aws_error("ClusterNotFoundException", 400, "Cluster not found."))
    harness.launcher.submit(harness.job("a"))
    harness.run_until(lambda: bool(harness.messages), "the failure", tick=0)
    [failed] = harness.messages
    assert isinstance(failed, LaunchFailed) and failed.verdict is LaunchVerdict.PERMANENT
    assert "ClusterNotFoundException" in failed.reason and "Cluster not found." in failed.reason


def test_a_request_that_cannot_be_built_is_rejected_without_a_call(
    make_launcher: Callable[..., Harness],
) -> None:
    harness = make_launcher()

    def invalid() -> Mapping[str, Any]:
        raise InvalidTaskRequest("executor_config 'cpu' is 'lots'")

    harness.launcher.submit(harness.job("a", invalid))
    harness.run_until(lambda: bool(harness.messages), "the rejection", tick=0)
    assert harness.messages == [Rejected("a", "executor_config 'cpu' is 'lots'")]
    assert harness.ecs.run_task_calls == []


def test_missing_credentials_rebuild_the_client_keep_the_launch_and_warn_once(
    make_launcher: Callable[..., Harness], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=launcher_module.__name__)
    harness = make_launcher(warning_interval=3600.0)  # longer than the whole test, on its clock
    harness.ecs.answer_run_task(NoCredentialsError(), NoCredentialsError(), NoCredentialsError())
    harness.launcher.submit(harness.job("a"))
    harness.run_until(
        lambda: bool(harness.reported(Launched)), "the launch once credentials are back", tick=0.5
    )
    retries = harness.reported(LaunchRetried)
    assert [retry.verdict for retry in retries] == [LaunchVerdict.CREDENTIALS] * 3
    assert len(harness.clients_made) == 1 + 3  # the first, and a new one after each credentials error
    assert caplog.text.count("credentials are missing or expired") == 1


def test_an_unreachable_endpoint_warns_once_per_interval_and_the_given_up_launch_names_its_error(
    make_launcher: Callable[..., Harness], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=launcher_module.__name__)
    harness = make_launcher(warning_interval=3600.0, task_start_seconds=20.0)
    unreachable = EndpointConnectionError(endpoint_url="http://127.0.0.1:9")
    harness.ecs.answer_run_task(*[unreachable] * 200)
    harness.launcher.submit(harness.job("a", airflow_token_deadline=harness.clock() + 60.0))
    harness.run_until(lambda: bool(harness.reported(LaunchFailed)), "the token cut-off", tick=0.5)
    [failed] = harness.reported(LaunchFailed)
    assert "the last with EndpointConnectionError" in failed.reason and "127.0.0.1:9" in failed.reason
    assert len(harness.reported(LaunchRetried)) > 1
    assert caplog.text.count("A launch failed for now (EndpointConnectionError") == 1
    assert "AIRFLOW__ECS_FARGATE__ENDPOINT_URL" in caplog.text


# --- the workload store: one write before RunTask, deletes when a launch ends without a task ----------

KEY_A = "workloads/farflow-airflow/token-a.json"


def test_a_stored_workload_is_written_once_before_runtask_and_retries_only_resend_runtask(
    make_launcher: Callable[..., Harness],
) -> None:
    harness = make_launcher(store=True)
    harness.ecs.answer_run_task(aws_error("ThrottlingException"), aws_error("ServerException", 500))
    harness.launcher.submit(harness.job("a"))
    harness.run_until(lambda: bool(harness.reported(Launched)), "the launch after two retries")
    [(written_at, key)] = harness.s3.puts
    assert key == KEY_A  # <prefix><family>/<clientToken>.json: nothing of the token in it
    assert written_at <= harness.call_times()[0]
    assert {request["clientToken"] for _, request in harness.ecs.run_task_calls} == {"token-a"}
    [launched] = harness.reported(Launched)
    assert launched.workload_reference == f"s3://farflow-workloads/{KEY_A}"
    assert SECRET.encode() in harness.s3.objects[KEY_A] and harness.s3.deletes == []


def test_a_store_write_that_fails_for_now_is_retried_with_the_same_object_and_no_runtask_before(
    make_launcher: Callable[..., Harness],
) -> None:
    harness = make_launcher(store=True)
    harness.s3.fail_puts(aws_error("SlowDown", 503, operation="PutObject"))
    harness.launcher.submit(harness.job("a"))
    harness.run_until(lambda: bool(harness.reported(Launched)), "the launch after the second write")
    assert [type(message) for message in harness.messages] == [LaunchRetried, Launched]
    assert [key for _, key in harness.s3.puts] == [KEY_A, KEY_A]
    assert harness.call_times() and harness.call_times()[0] >= harness.s3.puts[1][0]
    assert len(harness.ecs.run_task_calls) == 1
    assert harness.launcher.rate_limiter.rate == RATE  # S3's SlowDown is not ECS telling us to slow down


def test_a_store_write_that_is_refused_fails_the_launch_naming_the_object_and_sends_no_runtask(
    make_launcher: Callable[..., Harness],
) -> None:
    harness = make_launcher(store=True)
    harness.s3.fail_puts(aws_error("AccessDenied", 403, "Access Denied", operation="PutObject"))
    harness.launcher.submit(harness.job("a"))
    harness.run_until(lambda: bool(harness.messages), "the failure", tick=0)
    [failed] = harness.messages
    assert isinstance(failed, LaunchFailed)
    assert f"Writing the workload to s3://farflow-workloads/{KEY_A} failed: AccessDenied" in failed.reason
    assert harness.ecs.run_task_calls == []
    assert SECRET not in failed.reason


def test_a_launch_that_ends_without_a_task_deletes_the_object_it_wrote(
    make_launcher: Callable[..., Harness],
) -> None:
    harness = make_launcher(store=True)
    harness.ecs.answer_run_task(aws_error("InvalidParameterException", 400, "bad subnet"))
    harness.launcher.submit(harness.job("a"))
    harness.run_until(lambda: bool(harness.reported(LaunchFailed)), "the failure", tick=0)
    until(lambda: harness.s3.deletes == [KEY_A], what="the object's delete")
    assert harness.s3.objects == {}


def test_a_launch_cancelled_after_its_write_deletes_the_object(make_launcher: Callable[..., Harness]) -> None:
    harness = make_launcher(store=True)
    harness.ecs.answer_run_task(aws_error("ServerException", 500))
    harness.launcher.submit(harness.job("a"))
    harness.run_until(lambda: bool(harness.reported(LaunchRetried)), "the first attempt", tick=0)
    harness.launcher.cancel("a")
    harness.clock.advance(1.0)  # past its backoff: due, then dropped
    harness.launcher.submit()
    until(lambda: harness.s3.deletes == [KEY_A], what="the object's delete")
    assert len(harness.ecs.run_task_calls) == 1


def test_a_capacity_wait_ends_when_the_token_could_expire_before_the_task_starts(
    make_launcher: Callable[..., Harness],
) -> None:
    harness = make_launcher(store=True, capacity_retry_seconds=600.0, task_start_seconds=20.0)
    harness.ecs.answer_run_task(*[NO_CAPACITY] * 100)
    harness.launcher.submit(harness.job("a", airflow_token_deadline=harness.clock() + 60.0))
    harness.run_until(lambda: bool(harness.reported(LaunchFailed)), "the token cut-off", tick=0.5)
    [failed] = harness.reported(LaunchFailed)
    assert "no capacity" in failed.reason and "waited" in failed.reason
    assert "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT" in failed.reason
    assert "AIRFLOW__ECS_FARGATE__TASK_START_SECONDS" in failed.reason
    start = harness.s3.puts[0][0]
    assert all(at <= start + 60.0 - 20.0 for at in harness.call_times())  # never launched too late
    assert harness.clock() - start < 60.0  # failed before the token expired, not after
    until(lambda: harness.s3.deletes == [KEY_A], what="the object's delete")


def test_a_launch_whose_token_is_too_short_fails_before_it_is_built_written_or_sent(
    make_launcher: Callable[..., Harness],
) -> None:
    harness = make_launcher(store=True, task_start_seconds=120.0)
    harness.launcher.submit(harness.job("a", airflow_token_deadline=harness.clock() + 30.0))
    harness.run_until(lambda: bool(harness.messages), "the failure", tick=0)
    [failed] = harness.messages
    assert isinstance(failed, LaunchFailed)
    assert "expires in 30 s, less than the 120 s a task may need to start" in failed.reason
    assert (harness.builds, harness.s3.puts, harness.ecs.run_task_calls) == ([], [], [])


def test_a_launch_waits_its_turn_before_building_and_before_run_task(
    make_launcher: Callable[..., Harness],
) -> None:
    calls_at_turn: list[tuple[int, int]] = []
    harness: Harness | None = None

    def turn() -> bool:
        assert harness is not None
        calls_at_turn.append((len(harness.builds), len(harness.ecs.run_task_calls)))
        return True

    harness = make_launcher(wait_for_heartbeat=turn)
    harness.launcher.submit(harness.job("a"))
    harness.run_until(lambda: bool(harness.reported(Launched)), "the launch", tick=0)
    assert calls_at_turn == [(0, 0), (1, 0)]  # a turn before the build, and another before RunTask
    assert len(harness.ecs.run_task_calls) == 1
