from __future__ import annotations

import pytest

from farflow.local.endpoint.faults import FaultDice, FaultSettings, FaultSettingsError


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
