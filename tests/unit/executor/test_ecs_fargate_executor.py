"""The executor class on its own: its launcher and tracker are real, ECS is a FakeEcs."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from farflow.executor import EcsFargateExecutor
from farflow.executor.messages import PhaseChanged
from farflow.spec.run_task_errors import THROTTLE_CODES
from tests.support.workloads import FAKE_TOKEN, make_workload
from tests.unit.executor.fakes import (
    ACCOUNT_TASK_ARN,
    CLUSTER,
    REGION,
    FakeEcs,
    FakeS3,
    aws_error,
    record_metrics,
    until,
)

SETTINGS = {
    "region": REGION,
    "cluster": CLUSTER,
    "container_name": "airflow",
    "task_definition": "farflow-airflow",
    "subnets": "subnet-1",
    "check_health_on_startup": "False",
    "poll_interval": "0.05",
}
EXIT_ZERO = {"name": "airflow", "exitCode": 0}
STORE = "s3://farflow-workloads/workloads/"


@pytest.fixture
def ecs(monkeypatch: pytest.MonkeyPatch) -> FakeEcs:
    fake = FakeEcs()
    monkeypatch.setattr("farflow.executor.ecs_fargate_executor.make_ecs_client", lambda settings: fake)
    return fake


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> FakeS3:
    fake = FakeS3()
    monkeypatch.setattr(
        "farflow.executor.ecs_fargate_executor.make_client", lambda settings, service="ecs": fake
    )
    return fake


@pytest.fixture
def make_executor(
    ecs: FakeEcs, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., EcsFargateExecutor]]:
    started: list[EcsFargateExecutor] = []

    def factory(**settings: str) -> EcsFargateExecutor:
        for name, value in (SETTINGS | settings).items():
            monkeypatch.setenv(f"AIRFLOW__ECS_FARGATE__{name.upper()}", value)
        executor = EcsFargateExecutor(parallelism=16)
        executor.start()
        started.append(executor)
        return executor

    yield factory
    for executor in started:
        executor.end()


def queue(executor: EcsFargateExecutor, task_id: str, **kwargs: Any) -> Any:
    workload = make_workload(task_id, **kwargs)
    executor.queue_workload(workload, session=None)
    return workload.ti.key


def state_of(executor: EcsFargateExecutor, key: Any) -> str | None:
    event = executor.event_buffer.get(key)
    return str(event[0]) if event else None


@pytest.mark.parametrize(
    ("code", "throttles"), [*((code, 1) for code in sorted(THROTTLE_CODES)), ("ServerException", 0)]
)
def test_every_throttle_code_is_counted_as_a_throttle(
    make_executor: Callable[..., EcsFargateExecutor],
    ecs: FakeEcs,
    monkeypatch: pytest.MonkeyPatch,
    code: str,
    throttles: int,
) -> None:
    ecs.answer_run_task(aws_error(code))
    executor = make_executor()
    metrics = record_metrics(monkeypatch)  # after the executor: BaseExecutor() sets Airflow's own backend
    key = queue(executor, "ok")
    until(lambda: state_of(executor, key) == "running", step=executor.heartbeat, what="the launch")
    assert len(ecs.run_task_calls) == 2
    assert metrics.counts["incr", "ecs_fargate.throttles"] == throttles, metrics.counts


def stop_every_task(ecs: FakeEcs, **how: Any) -> None:
    for arn, task in list(ecs.tasks.items()):
        if task["lastStatus"] != "STOPPED":
            ecs.set_status(arn, "STOPPED", **how)


def test_a_task_runs_to_success_under_its_arn_with_tags_ecs_accepts(
    make_executor: Callable[..., EcsFargateExecutor], ecs: FakeEcs
) -> None:
    executor = make_executor()
    key = queue(executor, "ok", run_id="nightly run #3; retry")
    until(lambda: state_of(executor, key) == "running", step=executor.heartbeat, what="the launch")
    [arn] = ecs.tasks
    assert executor.event_buffer[key][1] == arn
    [(_, request)] = ecs.run_task_calls
    tags = {tag["key"]: tag["value"] for tag in request["tags"]}
    assert tags["airflow:run_id"] == "nightly run _3_ retry" and tags["airflow:task_id"] == "ok"
    ecs.set_status(arn, "STOPPED", stopCode="EssentialContainerExited", containers=[EXIT_ZERO])
    until(lambda: state_of(executor, key) == "success", step=executor.heartbeat, what="the success")
    assert key not in executor.running


def test_a_task_that_never_starts_is_relaunched_up_to_max_relaunches_then_fails(
    make_executor: Callable[..., EcsFargateExecutor], ecs: FakeEcs
) -> None:
    executor = make_executor(max_relaunches="2")
    key = queue(executor, "ok")

    def beat_and_fail_to_start() -> None:
        executor.heartbeat()
        stop_every_task(ecs, stopCode="TaskFailedToStart", stoppedReason="CannotPullContainerError")

    until(lambda: state_of(executor, key) == "failed", step=beat_and_fail_to_start, what="the final failure")
    tokens = [request["clientToken"] for _, request in ecs.run_task_calls]
    assert len(tokens) == 3 and len(set(tokens)) == 3  # each relaunch is a new attempt with its own token


def test_a_task_revoked_while_runtask_is_in_flight_has_its_ecs_task_stopped(
    make_executor: Callable[..., EcsFargateExecutor], ecs: FakeEcs
) -> None:
    in_flight, answer = threading.Event(), threading.Event()

    def slow_run_task() -> None:
        in_flight.set()
        answer.wait(10)

    ecs.answer_run_task(slow_run_task)
    executor = make_executor()
    key = queue(executor, "ok")
    executor.heartbeat()
    assert in_flight.wait(10)
    executor.revoke_task(ti=SimpleNamespace(key=key))
    answer.set()
    until(lambda: bool(ecs.stopped), step=executor.heartbeat, what="StopTask")
    assert ecs.stopped == list(ecs.tasks)
    assert key not in executor.running and key not in executor.event_buffer


def test_adoption_keeps_the_tasks_ecs_knows_and_hands_back_the_rest(
    make_executor: Callable[..., EcsFargateExecutor], ecs: FakeEcs
) -> None:
    executor = make_executor()
    known = [
        SimpleNamespace(
            key=make_workload(f"t{index}").ti.key, external_executor_id=ecs.start_task(), executor_config={}
        )
        for index in range(150)
    ]
    gone = SimpleNamespace(
        key=make_workload("gone").ti.key,
        external_executor_id=f"{ACCOUNT_TASK_ARN}{'f' * 32}",
        executor_config={},
    )
    never_launched = SimpleNamespace(
        key=make_workload("new").ti.key, external_executor_id=None, executor_config={}
    )
    handed_back = executor.try_adopt_task_instances([*known, gone, never_launched])
    assert list(handed_back) == [gone, never_launched]
    assert {ti.key for ti in known} <= executor.running
    assert [len(tasks) for _, tasks in ecs.describe_calls] == [100, 51]


def test_terminate_stops_this_executors_tasks_and_no_one_elses(
    make_executor: Callable[..., EcsFargateExecutor], ecs: FakeEcs
) -> None:
    executor = make_executor()
    keys = [queue(executor, "first"), queue(executor, "second")]
    until(
        lambda: all(state_of(executor, key) == "running" for key in keys),
        step=executor.heartbeat,
        what="both launches",
    )
    ours = list(ecs.tasks)
    someone_elses = ecs.start_task()
    executor.terminate()
    assert sorted(ecs.stopped) == sorted(ours) and someone_elses not in ecs.stopped


# --- the workload store --------------------------------------------------------------------------------


def airflow_command(request: dict[str, Any]) -> list[str]:
    [container] = request["overrides"]["containerOverrides"]
    assert container["name"] == "airflow"
    return list(container["command"])


def test_with_a_workload_store_runtask_carries_the_objects_url_and_never_the_token(
    make_executor: Callable[..., EcsFargateExecutor], ecs: FakeEcs, s3: FakeS3
) -> None:
    executor = make_executor(workload_store=STORE)
    key = queue(executor, "ok", executor_config={"task_definition": "gpu-airflow:7"})
    until(lambda: state_of(executor, key) == "running", step=executor.heartbeat, what="the launch")
    [(_, request)] = ecs.run_task_calls
    object_key = f"workloads/gpu-airflow/{request['clientToken']}.json"
    assert airflow_command(request) == [
        "python",
        "-m",
        "farflow.workload",
        f"s3://farflow-workloads/{object_key}",
    ]
    assert FAKE_TOKEN not in json.dumps(request)
    assert (
        json.loads(s3.objects[object_key])["token"] == FAKE_TOKEN
    )  # the whole workload, as the command had it
    [arn] = ecs.tasks
    ecs.set_status(arn, "STOPPED", stopCode="EssentialContainerExited", containers=[EXIT_ZERO])
    until(lambda: state_of(executor, key) == "success", step=executor.heartbeat, what="the success")
    until(lambda: s3.deletes == [object_key], what="the executor's delete of the object")


def test_a_relaunch_writes_a_new_object_and_deletes_the_one_its_task_never_read(
    make_executor: Callable[..., EcsFargateExecutor], ecs: FakeEcs, s3: FakeS3
) -> None:
    executor = make_executor(workload_store=STORE, max_relaunches="1")
    key = queue(executor, "ok")
    until(lambda: state_of(executor, key) == "running", step=executor.heartbeat, what="the launch")
    [first] = ecs.tasks
    ecs.set_status(first, "STOPPED", stopCode="TaskFailedToStart", stoppedReason="CannotPullContainerError")
    until(lambda: len(ecs.run_task_calls) == 2, step=executor.heartbeat, what="the relaunch")
    written = [object_key for _, object_key in s3.puts]
    assert len(set(written)) == 2
    until(lambda: s3.deletes == written[:1], step=executor.heartbeat, what="the first object's delete")
    assert written[1] in s3.objects


def test_a_revoked_task_has_its_object_deleted(
    make_executor: Callable[..., EcsFargateExecutor], ecs: FakeEcs, s3: FakeS3
) -> None:
    executor = make_executor(workload_store=STORE)
    key = queue(executor, "ok")
    until(lambda: state_of(executor, key) == "running", step=executor.heartbeat, what="the launch")
    executor.revoke_task(ti=SimpleNamespace(key=key))
    until(lambda: bool(ecs.stopped) and bool(s3.deletes), what="StopTask and the delete")
    assert s3.objects == {}


def test_a_task_revoked_while_runtask_is_in_flight_is_stopped_and_its_object_deleted(
    make_executor: Callable[..., EcsFargateExecutor], ecs: FakeEcs, s3: FakeS3
) -> None:
    executor = make_executor(workload_store=STORE)
    workload = make_workload("ok")
    executor.queue_workload(workload, session=None)
    executor._process_workloads([workload])  # the launch, without the sync that would record its ARN
    key = workload.ti.key
    until(lambda: bool(ecs.run_task_calls), what="RunTask")
    executor.revoke_task(ti=SimpleNamespace(key=key))
    until(
        lambda: bool(ecs.stopped) and bool(s3.deletes),
        step=executor.heartbeat,
        what="StopTask and the delete",
    )
    assert s3.objects == {}


def test_an_adopted_task_that_stops_has_the_object_its_command_names_deleted(
    make_executor: Callable[..., EcsFargateExecutor], ecs: FakeEcs, s3: FakeS3
) -> None:
    executor = make_executor(workload_store=STORE)
    arn = ecs.start_task()
    reference = "s3://farflow-workloads/workloads/farflow-airflow/abc.json"
    ti = SimpleNamespace(key=make_workload("adopted").ti.key, external_executor_id=arn, executor_config={})
    assert executor.try_adopt_task_instances([ti]) == []
    command = {"name": "airflow", "command": ["python", "-m", "farflow.workload", reference]}
    ecs.set_status(arn, "STOPPED", stopCode="TaskFailedToStart", overrides={"containerOverrides": [command]})
    until(lambda: state_of(executor, ti.key) == "failed", step=executor.heartbeat, what="the failure")
    until(lambda: s3.deletes == ["workloads/farflow-airflow/abc.json"], what="the delete")


def test_terminate_deletes_the_objects_of_the_tasks_it_stops(
    make_executor: Callable[..., EcsFargateExecutor], ecs: FakeEcs, s3: FakeS3
) -> None:
    executor = make_executor(workload_store=STORE)
    keys = [queue(executor, "first"), queue(executor, "second")]
    until(
        lambda: all(state_of(executor, key) == "running" for key in keys),
        step=executor.heartbeat,
        what="both launches",
    )
    executor.terminate()  # waits for its background deletes
    assert sorted(s3.deletes) == sorted(key for _, key in s3.puts) and s3.objects == {}


def test_a_task_whose_token_is_too_short_to_start_fails_at_once_naming_the_settings(
    make_executor: Callable[..., EcsFargateExecutor], ecs: FakeEcs, s3: FakeS3
) -> None:
    """A real workload token, signed as Airflow's scheduler signs it, valid for 60 s: too short for 120 s."""
    from airflow.api_fastapi.auth.tokens import JWTGenerator

    generator = JWTGenerator(valid_for=60, audience="urn:airflow.apache.org:task", secret_key="k" * 64)
    token = generator.generate(extras={"sub": "ti", "scope": "workload"})
    executor = make_executor(workload_store=STORE, task_start_seconds="120")
    key = queue(executor, "ok", token=token)
    until(lambda: state_of(executor, key) == "failed", step=executor.heartbeat, what="the failure")
    [(event, reason)] = [(log.event, log.extra) for log in executor._task_event_logs]
    assert event == "ecs task launch failed"
    assert (
        "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT" in reason
        and "AIRFLOW__ECS_FARGATE__TASK_START_SECONDS" in reason
    )
    assert token not in reason
    assert (ecs.run_task_calls, s3.puts) == ([], [])


def warnings_at_start(capsys: pytest.CaptureFixture[str], start: Callable[[], Any]) -> list[str]:
    """The warnings an executor's start() prints (Airflow's structlog writes them to stdout)."""
    capsys.readouterr()
    start()
    return [line for line in capsys.readouterr().out.splitlines() if "warning" in line.lower()[:60]]


def test_without_a_store_the_executor_warns_once_at_start_naming_the_risk(
    make_executor: Callable[..., EcsFargateExecutor], s3: FakeS3, capsys: pytest.CaptureFixture[str]
) -> None:
    [warning] = warnings_at_start(capsys, make_executor)
    assert "AIRFLOW__ECS_FARGATE__WORKLOAD_STORE" in warning and "ecs:DescribeTasks" in warning
    assert warnings_at_start(capsys, lambda: make_executor(workload_store=STORE)) == []


def test_waits_longer_than_the_token_lives_are_warned_about_at_start(
    make_executor: Callable[..., EcsFargateExecutor],
    s3: FakeS3,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT", "300")
    [warning] = warnings_at_start(capsys, lambda: make_executor(workload_store=STORE))
    assert "AIRFLOW__ECS_FARGATE__CAPACITY_RETRY_SECONDS" in warning
    assert "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT" in warning


def test_a_store_write_never_runs_on_the_scheduler_thread(
    make_executor: Callable[..., EcsFargateExecutor], ecs: FakeEcs, s3: FakeS3
) -> None:
    writers: list[str] = []
    put = s3.put_object

    def recording_put(**kwargs: Any) -> dict[str, Any]:
        writers.append(threading.current_thread().name)
        time.sleep(0.2)  # a slow store must not slow the heartbeat
        return put(**kwargs)

    s3.put_object = recording_put  # type: ignore[method-assign]
    executor = make_executor(workload_store=STORE)
    key = queue(executor, "ok")
    until(lambda: state_of(executor, key) == "running", step=executor.heartbeat, what="the launch")
    assert writers and all(name.startswith("farflow-launch-") for name in writers)


def test_a_burst_of_endings_is_spread_over_heartbeats(
    make_executor: Callable[..., EcsFargateExecutor], ecs: FakeEcs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("farflow.executor.ecs_fargate_executor.SYNC_BUDGET_SECONDS", 0.0)
    executor = make_executor(poll_interval="3600")  # no DescribeTasks round gets in the way
    keys = [queue(executor, f"burst_{index}") for index in range(3)]
    until(lambda: len(executor.tracker.tracked()) == 3, step=executor.heartbeat, what="three tasks tracked")
    executor.get_event_buffer()  # the scheduler has read their RUNNING events
    for arn in executor.tracker.tracked():
        executor._results.put(
            PhaseChanged(arn, "stopped", {"taskArn": arn, "lastStatus": "STOPPED", "containers": [EXIT_ZERO]})
        )
    finished = []
    for _ in range(3):
        executor.sync()  # with no time to spare, one message a sync, and never none
        finished.append(sum(state_of(executor, key) == "success" for key in keys))
    assert finished == [1, 2, 3]


def test_what_a_short_sync_leaves_keeps_its_order_and_none_is_lost(
    make_executor: Callable[..., EcsFargateExecutor], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("farflow.executor.ecs_fargate_executor.SYNC_BUDGET_SECONDS", 0.0)
    executor = make_executor(poll_interval="3600")
    keys = [queue(executor, f"ordered_{index}") for index in range(3)]
    until(lambda: len(executor.tracker.tracked()) == 3, step=executor.heartbeat, what="three tasks tracked")
    executor.get_event_buffer()  # the scheduler has read their RUNNING events

    def stopped(key: Any) -> PhaseChanged:
        arn = executor._records[key].arn
        assert arn is not None
        return PhaseChanged(
            arn, "stopped", {"taskArn": arn, "lastStatus": "STOPPED", "containers": [EXIT_ZERO]}
        )

    executor._results.put(stopped(keys[2]))
    executor._results.put(stopped(keys[0]))
    finished = []
    executor.sync()
    finished.append([key for key in keys if state_of(executor, key) == "success"])
    executor._results.put(stopped(keys[1]))  # arrives while one is still waiting: it waits behind it
    for _ in range(2):
        executor.sync()
        finished.append([key for key in keys if state_of(executor, key) == "success"])
    assert finished == [[keys[2]], [keys[0], keys[2]], keys]
    assert executor._results.empty()


def test_background_threads_hold_off_while_a_heartbeat_runs(
    make_executor: Callable[..., EcsFargateExecutor],
) -> None:
    executor = make_executor()
    executor.heartbeat_first.max_wait = 0.0  # a wait says at once whether the thread would have had its turn
    turns_during_sync: list[bool] = []
    sync = executor.sync

    def recording_sync() -> None:
        turns_during_sync.append(executor.heartbeat_first.wait())
        sync()

    executor.sync = recording_sync  # type: ignore[method-assign]
    executor.heartbeat()
    assert turns_during_sync == [False]
    assert executor.heartbeat_first.wait() is True  # and their turn comes once it has ended


def test_a_task_that_starts_and_ends_within_one_heartbeat_keeps_its_arn_for_the_scheduler(
    make_executor: Callable[..., EcsFargateExecutor], ecs: FakeEcs
) -> None:
    executor = make_executor()
    key = queue(executor, "quick")
    executor.heartbeat()  # hands the task to the launcher
    until(lambda: executor._results.qsize() >= 1, step=lambda: None, what="RunTask's answer")
    [arn] = ecs.tasks
    ecs.set_status(arn, "STOPPED", stopCode="EssentialContainerExited", containers=[EXIT_ZERO])
    # The tracker's word that it stopped, waiting in the same heartbeat as the launch (as an early event
    # does once the task is tracked).
    executor._results.put(PhaseChanged(arn, "stopped", ecs.tasks[arn]))
    executor.heartbeat()
    assert executor.event_buffer[key] == ("running", arn)  # not replaced by the success
    read = executor.get_event_buffer()  # the scheduler's read: external_executor_id = the ARN
    assert read[key] == ("running", arn)
    executor.heartbeat()
    assert state_of(executor, key) == "success"
    assert key not in executor.running


def test_a_task_definition_arn_with_its_revision_is_launched_as_given(
    make_executor: Callable[..., EcsFargateExecutor], ecs: FakeEcs, s3: FakeS3
) -> None:
    """The deploy pins the scheduler to its own revision: RunTask gets exactly that ARN (ECS runs the
    latest ACTIVE revision only for a bare family), and the workload goes to the family's folder."""
    arn = f"arn:aws:ecs:{REGION}:123456789012:task-definition/farflow-airflow:42"
    executor = make_executor(task_definition=arn, workload_store=STORE)
    key = queue(executor, "ok")
    until(lambda: state_of(executor, key) == "running", step=executor.heartbeat, what="the launch")
    [(_, request)] = ecs.run_task_calls
    assert request["taskDefinition"] == arn
    assert (
        airflow_command(request)[-1]
        == f"s3://farflow-workloads/workloads/farflow-airflow/{request['clientToken']}.json"
    )


ECS_STAMPS = {
    "createdAt": "2026-06-01T12:00:00.000Z",
    "pullStartedAt": "2026-06-01T12:00:30.000Z",
    "pullStoppedAt": "2026-06-01T12:00:38.500Z",
    "startedAt": "2026-06-01T12:00:40.000Z",
    "executionStoppedAt": "2026-06-01T12:01:10.000Z",
    "stoppingAt": "2026-06-01T12:01:10.500Z",
    "stoppedAt": "2026-06-01T12:01:12.000Z",
}


def stopped_event(executor: EcsFargateExecutor, key: Any) -> str:
    [extra] = [log.extra for log in executor._task_event_logs if log.event == "ecs task stopped"]
    return str(extra)


def test_a_stopped_tasks_event_keeps_its_arn_phases_and_ending_and_each_phase_is_a_timer(
    make_executor: Callable[..., EcsFargateExecutor], ecs: FakeEcs, monkeypatch: pytest.MonkeyPatch
) -> None:
    from farflow.cost_report import ecs_task_events

    executor = make_executor()
    metrics = record_metrics(monkeypatch)
    key = queue(executor, "ok")
    until(lambda: state_of(executor, key) == "running", step=executor.heartbeat, what="the launch")
    [arn] = ecs.tasks
    ecs.set_status(arn, "STOPPED", stopCode="EssentialContainerExited", containers=[EXIT_ZERO], **ECS_STAMPS)
    until(lambda: state_of(executor, key) == "success", step=executor.heartbeat, what="the success")
    extra = stopped_event(executor, key)
    [event] = ecs_task_events([{"event": "ecs task stopped", "when": "2026-06-01T12:01:13Z", "extra": extra}])
    assert event.ecs_task_arn == arn and event.ecs_task_id == arn.rsplit("/", 1)[-1]
    assert (event.stop_code, event.exit_code) == ("EssentialContainerExited", 0)
    assert 0 <= event.phases["queued"] < 30  # measured on this clock: RunTask's answer after queueing
    assert {name: event.phases[name] for name in ("provisioning", "pull", "start", "run", "stop")} == {
        "provisioning": 30.0,
        "pull": 8.5,
        "start": 1.5,
        "run": 30.0,
        "stop": 2.0,
    }
    for name in ("queued", "provisioning", "pull", "start", "run", "stop"):
        assert metrics.counts["timing", f"ecs_fargate.phase.{name}"] == 1, metrics.counts


def test_an_adopted_task_has_its_ecs_phases_but_no_queued_share(
    make_executor: Callable[..., EcsFargateExecutor], ecs: FakeEcs
) -> None:
    from farflow.executor.phases import read_phases

    executor = make_executor()
    arn = ecs.start_task()
    ti = SimpleNamespace(key=make_workload("adopted").ti.key, external_executor_id=arn, executor_config={})
    assert executor.try_adopt_task_instances([ti]) == []
    ecs.set_status(arn, "STOPPED", stopCode="EssentialContainerExited", containers=[EXIT_ZERO], **ECS_STAMPS)
    until(lambda: state_of(executor, ti.key) == "success", step=executor.heartbeat, what="the success")
    phases = read_phases(stopped_event(executor, ti.key))
    assert "queued" not in phases and phases["provisioning"] == 30.0
