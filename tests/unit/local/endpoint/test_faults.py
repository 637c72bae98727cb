from __future__ import annotations

import pytest

from farflow.local.endpoint.faults import EventFate, FaultDice, FaultSettings, FaultSettingsError


def test_defaults_inject_nothing() -> None:
    dice = FaultDice(FaultSettings())
    assert not any(dice.throttle() or dice.no_capacity() or dice.launch_outcome() for _ in range(1000))


def test_rate_one_always_hits() -> None:
    dice = FaultDice(FaultSettings(throttle_rate=1.0, capacity_rate=1.0, spot_interruption_rate=1.0))
    assert all(dice.throttle() and dice.no_capacity() for _ in range(1000))
    assert {dice.launch_outcome() for _ in range(100)} == {"spot"}


def test_start_failure_without_spot() -> None:
    dice = FaultDice(FaultSettings(start_failure_rate=1.0))
    assert {dice.launch_outcome() for _ in range(100)} == {"start_failure"}


def test_same_seed_same_outcomes() -> None:
    settings = FaultSettings(throttle_rate=0.5, spot_interruption_rate=0.3, seed=7)
    first, second = FaultDice(settings), FaultDice(settings)
    one = [(first.throttle(), first.launch_outcome()) for _ in range(200)]
    two = [(second.throttle(), second.launch_outcome()) for _ in range(200)]
    assert one == two
    assert 0 < sum(throttled for throttled, _ in one) < 200


def test_a_rate_of_zero_does_not_shift_other_draws() -> None:
    with_capacity = FaultDice(FaultSettings(capacity_rate=0.0, throttle_rate=0.5, seed=3))
    plain = FaultDice(FaultSettings(throttle_rate=0.5, seed=3))
    assert [with_capacity.throttle() for _ in range(50)] == [plain.throttle() for _ in range(50)]


def test_from_env_reads_every_variable() -> None:
    settings = FaultSettings.from_env(
        {
            "FARFLOW_FAULT_LATENCY_MS": "40",
            "FARFLOW_FAULT_THROTTLE_RATE": "0.1",
            "FARFLOW_FAULT_CAPACITY_RATE": "0.2",
            "FARFLOW_FAULT_SPOT_RATE": "0.3",
            "FARFLOW_FAULT_START_FAILURE_RATE": "1",
            "FARFLOW_FAULT_SEED": "42",
        }
    )
    assert settings == FaultSettings(40, 0.1, 0.2, 0.3, 1.0, 42)


def test_from_env_empty_is_default() -> None:
    assert FaultSettings.from_env({"FARFLOW_FAULT_THROTTLE_RATE": " "}) == FaultSettings()


@pytest.mark.parametrize(
    ("variable", "value", "hint"),
    [
        ("FARFLOW_FAULT_THROTTLE_RATE", "often", "0.0 to 1.0"),
        ("FARFLOW_FAULT_SPOT_RATE", "1.5", "0.0 to 1.0"),
        ("FARFLOW_FAULT_LATENCY_MS", "-1", "milliseconds >= 0"),
        ("FARFLOW_FAULT_LATENCY_MS", "2.5", "milliseconds >= 0"),
        ("FARFLOW_FAULT_SEED", "abc", "whole number"),
    ],
)
def test_from_env_names_the_bad_variable(variable: str, value: str, hint: str) -> None:
    with pytest.raises(FaultSettingsError, match=variable) as error:
        FaultSettings.from_env({variable: value})
    assert hint in str(error.value)
    assert repr(value) in str(error.value)


def test_direct_construction_is_checked() -> None:
    with pytest.raises(FaultSettingsError, match="capacity_rate"):
        FaultSettings(capacity_rate=2.0)
    with pytest.raises(FaultSettingsError, match="latency_ms"):
        FaultSettings(latency_ms=-5)


def test_from_env_reads_the_event_fault_variables() -> None:
    settings = FaultSettings.from_env(
        {
            "FARFLOW_FAULT_EVENT_DROP_RATE": "0.05",
            "FARFLOW_FAULT_EVENT_DUPLICATE_RATE": "0.1",
            "FARFLOW_FAULT_EVENT_REORDER_RATE": "1",
        }
    )
    assert settings == FaultSettings(event_drop_rate=0.05, event_duplicate_rate=0.1, event_reorder_rate=1.0)


def test_event_fates_follow_their_rates_and_their_own_seeded_sequence() -> None:
    settings = FaultSettings(event_drop_rate=0.2, event_duplicate_rate=1.0, throttle_rate=0.5, seed=11)
    first, second = FaultDice(settings), FaultDice(settings)
    second.throttle()  # API calls in other threads do not shift the events' fates
    fates = [first.event_fate() for _ in range(500)]
    assert fates == [second.event_fate() for _ in range(500)]
    assert all(fate.duplicated and not fate.delayed for fate in fates)
    assert 50 < sum(fate.dropped for fate in fates) < 150


def test_no_event_faults_by_default() -> None:
    dice = FaultDice(FaultSettings())
    assert {dice.event_fate() for _ in range(200)} == {EventFate()}


def test_server_errors_follow_their_rate_and_their_variable() -> None:
    assert FaultSettings.from_env({"FARFLOW_FAULT_SERVER_ERROR_RATE": "0.02"}) == FaultSettings(
        server_error_rate=0.02
    )
    assert all(FaultDice(FaultSettings(server_error_rate=1.0)).server_error() for _ in range(100))
    assert not any(FaultDice(FaultSettings()).server_error() for _ in range(1000))
    with pytest.raises(FaultSettingsError, match="FARFLOW_FAULT_SERVER_ERROR_RATE"):
        FaultSettings.from_env({"FARFLOW_FAULT_SERVER_ERROR_RATE": "2"})


def test_hits_are_counted_by_setting() -> None:
    dice = FaultDice(FaultSettings(throttle_rate=1.0, spot_interruption_rate=1.0))
    for _ in range(3):
        dice.throttle()
        dice.no_capacity()
    dice.launch_outcome()
    assert dice.hits() == {"throttle_rate": 3, "spot_interruption_rate": 1}


def test_an_injected_error_answers_every_ecs_operation_or_only_those_named() -> None:
    everywhere = FaultDice(FaultSettings(error="ExpiredTokenException"))
    assert {everywhere.error_for(name) for name in ("RunTask", "DescribeTasks")} == {"ExpiredTokenException"}
    only = FaultDice(FaultSettings(error="ServerException", error_operations=("DescribeTasks",)))
    assert (only.error_for("DescribeTasks"), only.error_for("RunTask")) == ("ServerException", None)
    assert FaultDice(FaultSettings()).error_for("RunTask") is None


def test_switches_make_no_draws_so_the_seeded_sequence_stays_put() -> None:
    switched = FaultDice(FaultSettings(throttle_rate=0.5, seed=5, error="ServerException", hold=True))
    plain = FaultDice(FaultSettings(throttle_rate=0.5, seed=5))
    switched.error_for("RunTask")
    assert [switched.throttle() for _ in range(50)] == [plain.throttle() for _ in range(50)]


def test_from_env_reads_the_switches() -> None:
    settings = FaultSettings.from_env(
        {
            "FARFLOW_FAULT_ERROR": "ExpiredTokenException",
            "FARFLOW_FAULT_ERROR_OPERATIONS": "DescribeTasks, RunTask",
            "FARFLOW_FAULT_HOLD": "true",
        }
    )
    assert settings == FaultSettings(
        error="ExpiredTokenException", error_operations=("DescribeTasks", "RunTask"), hold=True
    )


@pytest.mark.parametrize(
    ("variable", "value", "hint"),
    [
        ("FARFLOW_FAULT_ERROR", "Oops", "ExpiredTokenException"),
        ("FARFLOW_FAULT_HOLD", "maybe", "true or false"),
    ],
)
def test_from_env_names_a_bad_switch(variable: str, value: str, hint: str) -> None:
    with pytest.raises(FaultSettingsError, match=variable) as error:
        FaultSettings.from_env({variable: value})
    assert hint in str(error.value)


def test_run_task_answer_delay_is_read_checked_and_makes_no_draw() -> None:
    settings = FaultSettings.from_env({"FARFLOW_FAULT_RUN_TASK_ANSWER_DELAY_MS": "2500"})
    assert settings == FaultSettings(run_task_answer_delay_ms=2500)
    with pytest.raises(FaultSettingsError, match="FARFLOW_FAULT_RUN_TASK_ANSWER_DELAY_MS") as error:
        FaultSettings.from_env({"FARFLOW_FAULT_RUN_TASK_ANSWER_DELAY_MS": "soon"})
    assert "milliseconds >= 0" in str(error.value)
    with pytest.raises(FaultSettingsError, match="run_task_answer_delay_ms"):
        FaultSettings(run_task_answer_delay_ms=-1)
    held = FaultDice(FaultSettings(run_task_answer_delay_ms=1000, throttle_rate=0.5, seed=5))
    plain = FaultDice(FaultSettings(throttle_rate=0.5, seed=5))
    assert [held.throttle() for _ in range(50)] == [plain.throttle() for _ in range(50)]
