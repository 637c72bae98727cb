"""Fargate's prices in one Region, as a table in the package. Standard library only (settings reads it).

`[ecs_fargate] fargate_prices` overrides any of them, e.g. for another Region or for today's Spot price:
`{"region": "eu-west-1", "taken": "2026-11-01", "x86_64_vcpu_hour": 0.04456, ...}`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

SPOT_DISCOUNT = 0.70  # AWS: "up to 70%" off; the real Spot price moves with supply and demand


@dataclass(frozen=True)
class PriceTable:
    """US dollars per hour, Linux. Memory and ephemeral storage are per GB (GiB, as Fargate sizes them)."""

    region: str
    taken: str  # when the prices were read from AWS's pricing page
    x86_64_vcpu_hour: float
    x86_64_gb_hour: float
    arm64_vcpu_hour: float
    arm64_gb_hour: float
    spot_x86_64_vcpu_hour: float
    spot_x86_64_gb_hour: float
    spot_arm64_vcpu_hour: float
    spot_arm64_gb_hour: float
    ephemeral_gb_hour: float  # storage above the 20 GB every task gets free


def _spot(on_demand: float) -> float:
    return round(on_demand * (1 - SPOT_DISCOUNT), 8)


# aws.amazon.com/fargate/pricing, US East (N. Virginia), Linux, as of June 2026. Spot: on-demand less
# SPOT_DISCOUNT, an estimate; set the spot_* keys of fargate_prices to the page's current Spot prices.
DEFAULT_PRICES = PriceTable(
    region="us-east-1",
    taken="2026-06",
    x86_64_vcpu_hour=0.04048,
    x86_64_gb_hour=0.004445,
    arm64_vcpu_hour=0.03238,
    arm64_gb_hour=0.00356,
    spot_x86_64_vcpu_hour=_spot(0.04048),
    spot_x86_64_gb_hour=_spot(0.004445),
    spot_arm64_vcpu_hour=_spot(0.03238),
    spot_arm64_gb_hour=_spot(0.00356),
    ephemeral_gb_hour=0.000111,
)

TEXT_KEYS = frozenset({"region", "taken"})
KEYS = tuple(field.name for field in fields(PriceTable))


class PriceError(ValueError):
    """An override the table cannot take; the message names the key."""


def with_overrides(table: PriceTable, overrides: Mapping[str, Any]) -> PriceTable:
    """`table` with some keys replaced: prices are numbers >= 0, region and taken are text."""
    unknown = sorted(set(overrides) - set(KEYS))
    if unknown:
        raise PriceError(f"unknown key(s) {', '.join(unknown)}; the keys are {', '.join(KEYS)}")
    for key, value in overrides.items():
        if key in TEXT_KEYS:
            if not isinstance(value, str) or not value.strip():
                raise PriceError(f"{key} must be text, not {value!r}")
        elif (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            raise PriceError(f"{key} must be a number of US dollars >= 0, not {value!r}")
    return replace(table, **overrides)
