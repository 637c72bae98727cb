"""What Fargate bills for one task, from what ECS says about it: a pure function, and its one text form.

AWS bills a Fargate task for its vCPU, memory and ephemeral storage above 20 GB, by architecture (x86,
ARM) and capacity (Fargate, Fargate Spot), from the start of its image pull (`pullStartedAt`) to its
end (`stoppedAt`), rounded up to the second, at least one minute. A task that never began pulling its
image is not billed. Not counted here: tasks on EC2 (billed as instances), Windows tasks (another price
and a license fee), Savings Plans, data transfer, NAT, logs, and the Airflow services themselves.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from farflow.executor.prices import PriceTable
from farflow.executor.timestamps import timestamp
from farflow.spec.cluster import CAPACITY_PROVIDERS, FARGATE_SPOT_PROVIDER

MINIMUM_SECONDS = 60
FREE_EPHEMERAL_GB = 20
ARCHITECTURE_ATTRIBUTE = "ecs.cpu-architecture"


@dataclass(frozen=True)
class Usage:
    """What one task used, as Fargate bills it."""

    vcpu: float
    memory_gb: float
    architecture: Literal["x86_64", "arm64"]
    spot: bool
    ephemeral_gb: int
    billed_seconds: int


@dataclass(frozen=True)
class TaskCost:
    usage: Usage
    usd: float
    prices: PriceTable


@dataclass(frozen=True)
class NotBilled:
    """Fargate bills nothing for this task, or not at a price in the table; why."""

    reason: str


def billed_seconds(pull_started_at: datetime, stopped_at: datetime) -> int:
    """Rounded up to the second, at least a minute."""
    return max(MINIMUM_SECONDS, math.ceil((stopped_at - pull_started_at).total_seconds()))


def usage_of(task: Mapping[str, Any]) -> Usage | NotBilled:
    """What a stopped task (DescribeTasks item or event detail) used, or why Fargate bills it nothing here."""
    provider = task.get("capacityProviderName")
    if provider not in CAPACITY_PROVIDERS and task.get("launchType") != "FARGATE":
        return NotBilled("not on Fargate: EC2 capacity is billed as instances")
    if str(task.get("platformFamily") or "").lower().startswith("windows"):
        return NotBilled("Windows on Fargate is not in the price table")
    started, stopped = timestamp(task.get("pullStartedAt")), timestamp(task.get("stoppedAt"))
    if started is None:
        return NotBilled("stopped before its image pull began: Fargate bills nothing")
    if stopped is None:
        return NotBilled("no stoppedAt yet")
    try:
        vcpu, memory_gb = int(task["cpu"]) / 1024, int(task["memory"]) / 1024
    except (KeyError, TypeError, ValueError):
        return NotBilled("the task's cpu and memory are not known")
    attributes = {item.get("name"): item.get("value") for item in task.get("attributes") or ()}
    storage = (task.get("ephemeralStorage") or {}).get("sizeInGiB") or FREE_EPHEMERAL_GB
    return Usage(
        vcpu=vcpu,
        memory_gb=memory_gb,
        architecture="arm64" if attributes.get(ARCHITECTURE_ATTRIBUTE) == "arm64" else "x86_64",
        spot=provider == FARGATE_SPOT_PROVIDER,
        ephemeral_gb=int(storage),
        billed_seconds=billed_seconds(started, stopped),
    )


def price(usage: Usage, prices: PriceTable) -> float:
    """US dollars for `usage`."""
    rates = {
        ("x86_64", False): (prices.x86_64_vcpu_hour, prices.x86_64_gb_hour),
        ("arm64", False): (prices.arm64_vcpu_hour, prices.arm64_gb_hour),
        ("x86_64", True): (prices.spot_x86_64_vcpu_hour, prices.spot_x86_64_gb_hour),
        ("arm64", True): (prices.spot_arm64_vcpu_hour, prices.spot_arm64_gb_hour),
    }
    vcpu_hour, gb_hour = rates[usage.architecture, usage.spot]
    per_hour = (
        usage.vcpu * vcpu_hour
        + usage.memory_gb * gb_hour
        + max(0, usage.ephemeral_gb - FREE_EPHEMERAL_GB) * prices.ephemeral_gb_hour
    )
    return per_hour * usage.billed_seconds / 3600


def task_cost(task: Mapping[str, Any], prices: PriceTable) -> TaskCost | NotBilled:
    usage = usage_of(task)
    return usage if isinstance(usage, NotBilled) else TaskCost(usage, price(usage, prices), prices)


# --- the text in the task event, which `farflow cost` reads back ---------------------------------------

_COST = re.compile(r"\bcost \$(?P<usd>\d+\.\d+) \((?P<seconds>\d+) s billed\b")


def describe(cost: TaskCost | NotBilled) -> str:
    """`cost $0.001645 (60 s billed: 2 vCPU, 4 GB, x86_64, Fargate; us-east-1 prices of 2026-06)`."""
    if isinstance(cost, NotBilled):
        return f"no Fargate cost ({cost.reason})"
    usage, prices = cost.usage, cost.prices
    capacity = "Fargate Spot" if usage.spot else "Fargate"
    storage = f", {usage.ephemeral_gb} GB storage" if usage.ephemeral_gb > FREE_EPHEMERAL_GB else ""
    return (
        f"cost ${cost.usd:.6f} ({usage.billed_seconds} s billed: {usage.vcpu:g} vCPU, "
        f"{usage.memory_gb:g} GB, {usage.architecture}, {capacity}{storage}; "
        f"{prices.region} prices of {prices.taken})"
    )


@dataclass(frozen=True)
class BilledAmount:
    usd: float
    billed_seconds: int


def read_cost(text: str) -> BilledAmount | None:
    """The cost `describe` wrote into a task event's text, if there is one."""
    match = _COST.search(text or "")
    return BilledAmount(float(match["usd"]), int(match["seconds"])) if match else None
