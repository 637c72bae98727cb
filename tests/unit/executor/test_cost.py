"""What Fargate bills for one task: billed time as AWS defines it, the price table, the event text."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from farflow.executor.cost import (
    BilledAmount,
    NotBilled,
    TaskCost,
    Usage,
    billed_seconds,
    describe,
    price,
    read_cost,
    task_cost,
    usage_of,
)
from farflow.executor.prices import DEFAULT_PRICES, PriceError, with_overrides

PULL = datetime(2026, 6, 1, 12, 0, 0, tzinfo=timezone.utc)


def task(seconds: float, **fields: Any) -> dict[str, Any]:
    """A stopped Fargate task as DescribeTasks returns it (boto3 gives datetimes)."""
    return {
        "launchType": "FARGATE",
        "cpu": "2048",
        "memory": "4096",
        "pullStartedAt": PULL,
        "stoppedAt": PULL + timedelta(seconds=seconds),
        **fields,
    }


def usage(**fields: Any) -> Usage:
    values = {"vcpu": 2, "memory_gb": 4, "architecture": "x86_64", "spot": False, "ephemeral_gb": 20}
    return Usage(**{**values, "billed_seconds": 3600, **fields})


@pytest.mark.parametrize(
    ("seconds", "billed"), [(0.2, 60), (59.9, 60), (60.0, 60), (60.001, 61), (3600, 3600)]
)
def test_billed_time_is_rounded_up_to_the_second_with_a_one_minute_minimum(
    seconds: float, billed: int
) -> None:
    assert billed_seconds(PULL, PULL + timedelta(seconds=seconds)) == billed


def test_an_hour_of_two_vcpu_and_four_gb_costs_the_tables_rates() -> None:
    assert price(usage(), DEFAULT_PRICES) == pytest.approx(2 * 0.04048 + 4 * 0.004445)


def test_arm_spot_and_storage_above_twenty_gb_each_have_their_price() -> None:
    table = DEFAULT_PRICES
    assert price(usage(architecture="arm64"), table) == pytest.approx(2 * 0.03238 + 4 * 0.00356)
    spot = price(usage(spot=True), table)
    assert spot == pytest.approx(2 * table.spot_x86_64_vcpu_hour + 4 * table.spot_x86_64_gb_hour)
    assert spot == pytest.approx(0.3 * price(usage(), table))
    storage = price(usage(ephemeral_gb=100), table) - price(usage(), table)
    assert storage == pytest.approx(80 * 0.000111)


def test_usage_reads_size_capacity_architecture_storage_and_time_from_describe_tasks() -> None:
    described = task(
        90.5,
        capacityProviderName="FARGATE_SPOT",
        attributes=[{"name": "ecs.cpu-architecture", "value": "arm64"}],
        ephemeralStorage={"sizeInGiB": 50},
    )
    assert usage_of(described) == Usage(2.0, 4.0, "arm64", True, 50, 91)


def test_usage_reads_an_events_iso_timestamps() -> None:
    detail = task(0, pullStartedAt="2026-06-01T12:00:00.000Z", stoppedAt="2026-06-01T12:02:00.250Z")
    assert usage_of(detail) == usage(billed_seconds=121)


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"launchType": "EC2"}, "not on Fargate"),
        ({"pullStartedAt": None}, "before its image pull began"),
        ({"platformFamily": "WINDOWS_SERVER_2022_CORE"}, "Windows"),
        ({"cpu": None}, "cpu and memory are not known"),
    ],
)
def test_what_fargate_does_not_bill_here_says_why(fields: dict[str, Any], why: str) -> None:
    cost = task_cost(task(100, **fields), DEFAULT_PRICES)
    assert isinstance(cost, NotBilled) and why in cost.reason


def test_a_capacity_provider_on_fargate_counts_without_a_launch_type() -> None:
    cost = task_cost(task(60, launchType=None, capacityProviderName="FARGATE"), DEFAULT_PRICES)
    assert isinstance(cost, TaskCost) and not cost.usage.spot


def test_the_event_text_is_readable_and_read_back() -> None:
    cost = task_cost(task(61.2), DEFAULT_PRICES)
    assert isinstance(cost, TaskCost)
    text = describe(cost)
    assert text == "cost $0.001701 (62 s billed: 2 vCPU, 4 GB, x86_64, Fargate; us-east-1 prices of 2026-06)"
    assert read_cost(f"arn:...: ECS task stopped (EssentialContainerExited); {text}") == BilledAmount(
        0.001701, 62
    )
    assert read_cost("ECS task stopped; no Fargate cost (not on Fargate)") is None
    assert describe(NotBilled("why")) == "no Fargate cost (why)"


def test_overrides_replace_keys_and_refuse_unknown_ones() -> None:
    table = with_overrides(DEFAULT_PRICES, {"region": "eu-west-1", "x86_64_gb_hour": 0.0049})
    assert (table.region, table.x86_64_gb_hour, table.x86_64_vcpu_hour) == ("eu-west-1", 0.0049, 0.04048)
    with pytest.raises(PriceError, match="unknown key"):
        with_overrides(DEFAULT_PRICES, {"gpu_hour": 1.0})
