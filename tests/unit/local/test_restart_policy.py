"""The restart policy on a fake clock: growing delays, forgetting old exits, giving up."""

from __future__ import annotations

from farflow.local.restart_policy import GiveUp, Restart, RestartPolicy

POLICY = RestartPolicy(max_exits=5, window=300.0, first_delay=1.0, max_delay=30.0)


def test_delays_double_until_the_fifth_exit_in_the_window_gives_up() -> None:
    exits: list[float] = []
    decisions = []
    for now in (10.0, 20.0, 30.0, 40.0, 50.0):
        exits.append(now)
        decisions.append(POLICY.decide(exits, now))
    assert decisions == [Restart(1.0, 1), Restart(2.0, 2), Restart(4.0, 3), Restart(8.0, 4), GiveUp(5)]


def test_exits_older_than_the_window_are_forgotten() -> None:
    exits = [0.0, 10.0, 20.0, 30.0]
    assert POLICY.decide([*exits, 330.5], 330.5) == Restart(1.0, 1)
    assert POLICY.recent([*exits, 325.0], 325.0) == [30.0, 325.0]


def test_the_delay_is_capped() -> None:
    patient = RestartPolicy(max_exits=100, first_delay=1.0, max_delay=30.0)
    exits = [float(moment) for moment in range(10)]
    assert patient.decide(exits, 9.0) == Restart(30.0, 10)


def test_the_policy_in_words() -> None:
    assert POLICY.describe() == "5 exits within 5 minutes"
