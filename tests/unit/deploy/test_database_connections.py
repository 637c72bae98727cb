"""The connections alarm's threshold, from the instance class as RDS sizes max_connections."""

from __future__ import annotations

import pytest

from farflow.deploy.database_connections import CONNECTION_CAP, alarm_threshold, max_connections, memory_gib


@pytest.mark.parametrize(
    ("instance_class", "gib"),
    [
        ("t4g.micro", 1),
        ("db.t4g.small", 2),
        ("t3.medium", 4),
        ("t4g.2xlarge", 32),
        ("m6g.large", 8),
        ("m7g.xlarge", 16),
        ("m6i.4xlarge", 64),
        ("r6g.large", 16),
        ("r7g.2xlarge", 64),
        ("x2g.xlarge", 64),
    ],
)
def test_memory_follows_the_class_name(instance_class: str, gib: int) -> None:
    assert memory_gib(instance_class) == gib


@pytest.mark.parametrize("instance_class", ["m6g.metal", "c6gd.large", "t4g.nano-ish", "nonsense"])
def test_a_class_whose_name_does_not_say_has_no_memory(instance_class: str) -> None:
    assert memory_gib(instance_class) is None


def test_limits_are_near_what_rds_reports_on_default_instances() -> None:
    """`SHOW max_connections` on default RDS instances: 198 (2 GiB), 413 (4 GiB), 856 (8 GiB)."""
    for instance_class, reported in (("t3.small", 198), ("t3.medium", 413), ("m5.large", 856)):
        assert abs(max_connections(instance_class) - reported) / reported < 0.06


def test_large_classes_stop_at_the_cap_and_the_alarm_fires_at_eighty_percent() -> None:
    assert max_connections("r6g.16xlarge") == CONNECTION_CAP
    assert max_connections("m6g.metal") == CONNECTION_CAP
    assert alarm_threshold("t4g.small") == int(max_connections("t4g.small") * 0.8)
    assert alarm_threshold("t4g.micro") < alarm_threshold("t4g.small") < alarm_threshold("r6g.large")
