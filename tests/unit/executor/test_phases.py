"""Phases from ECS's own timestamps (DescribeTasks' and the task state change event's field names)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from farflow.executor.phases import describe, read_phases, start_latency, task_phases

T0 = datetime(2026, 6, 1, 12, 0, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def iso(seconds: float) -> str:
    return at(seconds).isoformat().replace("+00:00", "Z")


# A Fargate task that ran to the end, as DescribeTasks shows it through boto3 (datetimes).
FINISHED = {
    "createdAt": at(0),
    "connectivityAt": at(20),
    "pullStartedAt": at(31.5),
    "pullStoppedAt": at(40),
    "startedAt": at(41.25),
    "executionStoppedAt": at(60),
    "stoppingAt": at(60.5),
    "stoppedAt": at(75),
    "lastStatus": "STOPPED",
    "stopCode": "EssentialContainerExited",
}


def test_a_finished_task_has_every_phase_in_order() -> None:
    phases = task_phases(FINISHED, queued_seconds=0.2)
    assert phases == {
        "queued": 0.2,
        "provisioning": 31.5,
        "pull": 8.5,
        "start": 1.25,
        "run": 18.75,  # to executionStoppedAt, the earlier of the two stopping stamps
        "stop": 15.0,
    }
    assert list(phases) == ["queued", "provisioning", "pull", "start", "run", "stop"]
    assert start_latency(phases) == 41.45


def test_event_detail_timestamps_read_the_same_as_describe_tasks_ones() -> None:
    as_event = {
        key: iso((value - T0).total_seconds()) if isinstance(value, datetime) else value
        for key, value in FINISHED.items()
    }
    as_json = {
        key: value.timestamp() if isinstance(value, datetime) else value for key, value in FINISHED.items()
    }
    assert task_phases(as_event) == task_phases(as_json) == task_phases(FINISHED)


def test_a_task_that_never_pulled_its_image_is_provisioning_until_it_stops() -> None:
    never = {"createdAt": at(0), "stoppingAt": at(30), "stoppedAt": at(32), "stopCode": "TaskFailedToStart"}
    phases = task_phases(never, queued_seconds=1.0)
    assert phases == {"queued": 1.0, "provisioning": 30.0, "stop": 2.0}
    assert start_latency(phases) is None


def test_a_failed_pull_ends_its_pull_phase_where_stopping_began() -> None:
    failed = {"createdAt": at(0), "pullStartedAt": at(5), "stoppingAt": at(65), "stoppedAt": at(66)}
    assert task_phases(failed) == {"provisioning": 5.0, "pull": 60.0, "stop": 1.0}


def test_a_spot_interruption_while_running_ends_the_run_at_the_notice() -> None:
    spot = {
        **{key: FINISHED[key] for key in ("createdAt", "pullStartedAt", "pullStoppedAt", "startedAt")},
        "stoppingAt": at(100),  # the two-minute warning: SIGTERM, then SIGKILL
        "executionStoppedAt": at(220),
        "stoppedAt": at(225),
        "stopCode": "SpotInterruption",
    }
    phases = task_phases(spot, queued_seconds=0.1)
    assert phases["run"] == 100 - 41.25
    assert phases["stop"] == 125.0
    assert start_latency(phases) == 41.35


def test_a_spot_interruption_before_the_pull_has_no_pull_start_or_run() -> None:
    spot = {"createdAt": at(0), "stoppingAt": at(12), "stoppedAt": at(13), "stopCode": "SpotInterruption"}
    assert task_phases(spot) == {"provisioning": 12.0, "stop": 1.0}


def test_an_adopted_task_has_no_queued_share_and_the_rest_from_ecs() -> None:
    phases = task_phases(FINISHED, queued_seconds=None)
    assert "queued" not in phases
    assert phases["provisioning"] == 31.5
    assert start_latency(phases) == 41.25


def test_a_task_still_running_has_only_the_phases_it_finished() -> None:
    running = {key: FINISHED[key] for key in ("createdAt", "pullStartedAt", "pullStoppedAt", "startedAt")}
    assert task_phases(running) == {"provisioning": 31.5, "pull": 8.5, "start": 1.25}


def test_stamps_out_of_order_count_as_zero_not_negative() -> None:
    skewed = {**FINISHED, "pullStoppedAt": at(41.5)}  # after startedAt: rounding on ECS's side
    phases = task_phases(skewed)
    assert phases["start"] == 0.0
    assert all(seconds >= 0 for seconds in phases.values())


def test_no_stamps_at_all_gives_no_phases() -> None:
    assert task_phases({}) == {}
    assert describe({}) == "phases: none"
    assert read_phases("phases: none") == {}


def test_the_event_text_reads_back_exactly() -> None:
    phases = task_phases(FINISHED, queued_seconds=0.2049)
    text = f"arn:aws:ecs:x: ECS task stopped (EssentialContainerExited); cost $0.1 (60 s billed); {describe(phases)}"
    assert read_phases(text) == {**phases, "queued": 0.205}
    assert read_phases("ECS task stopped; no Fargate cost") == {}
