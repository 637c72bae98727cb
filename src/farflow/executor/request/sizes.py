"""Fargate's table of valid task sizes, and the readable forms users write cpu and memory in.

Fargate accepts only certain (cpu, memory) pairs and rejects others at RunTask time with a terse
error. Checking before the call lets farflow name the nearest pair that works.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

MIB_PER_GIB = 1024
UNITS_PER_VCPU = 1024


def _steps(low: int, high: int, step: int) -> tuple[int, ...]:
    return tuple(range(low, high + 1, step))


FARGATE_MEMORY: Mapping[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: _steps(1024, 4096, 1024),
    1024: _steps(2048, 8192, 1024),
    2048: _steps(4096, 16384, 1024),
    4096: _steps(8192, 30720, 1024),
    8192: _steps(16384, 61440, 4096),
    16384: _steps(32768, 122880, 8192),
}
"""Fargate (Linux) task cpu units -> the memory sizes (MiB) allowed with it."""

FARGATE_SIZES: tuple[tuple[int, int], ...] = tuple(
    sorted((cpu, memory) for cpu, memories in FARGATE_MEMORY.items() for memory in memories)
)
"""Every valid (cpu, memory) pair, smallest first."""


def nearest_fargate_size(cpu: int, memory: int) -> tuple[int, int]:
    """The smallest valid pair with at least `cpu` and `memory`; the largest pair if none is big enough.

    "Smallest" orders by cpu, then memory: a task never gets less than it asked for, and cpu is
    what drives Fargate's price.
    """
    for pair in FARGATE_SIZES:
        if pair[0] >= cpu and pair[1] >= memory:
            return pair
    return FARGATE_SIZES[-1]


def memory_range_text(cpu: int) -> str:
    """'2048-8192 MiB in steps of 1024' for a Fargate cpu size."""
    memories = FARGATE_MEMORY[cpu]
    if len(memories) <= 3:
        return ", ".join(str(memory) for memory in memories) + " MiB"
    return f"{memories[0]}-{memories[-1]} MiB in steps of {memories[1] - memories[0]}"


def fargate_size_problem(cpu: int, memory: int) -> str | None:
    """None for a valid pair, else a message naming the nearest valid pair."""
    if memory in FARGATE_MEMORY.get(cpu, ()):
        return None
    near_cpu, near_memory = nearest_fargate_size(cpu, memory)
    if cpu in FARGATE_MEMORY:
        allowed = f"with cpu {cpu}, memory must be {memory_range_text(cpu)}"
    else:
        allowed = "cpu must be one of " + ", ".join(str(size) for size in FARGATE_MEMORY)
    return (
        f"cpu {cpu} with memory {memory} MiB is not a Fargate task size ({allowed}); "
        f"the nearest valid size is cpu={near_cpu}, memory={near_memory}."
    )


def smallest_memory_for(cpu: int) -> int | None:
    """The smallest memory Fargate allows with `cpu`, or None if `cpu` is not a Fargate size."""
    memories = FARGATE_MEMORY.get(cpu)
    return memories[0] if memories else None


def smallest_cpu_for(memory: int) -> int | None:
    """The smallest cpu Fargate allows with `memory`, or None if no cpu allows it."""
    for cpu, memories in FARGATE_MEMORY.items():
        if memory in memories:
            return cpu
    return None


_QUANTITY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")
_CPU_UNITS = {"": 1, "units": 1, "vcpu": UNITS_PER_VCPU, "vcpus": UNITS_PER_VCPU}
_MEMORY_UNITS = {"": 1, "mib": 1, "mb": 1, "m": 1, "gib": MIB_PER_GIB, "gb": MIB_PER_GIB, "g": MIB_PER_GIB}


def parse_cpu(value: object) -> int:
    """CPU units from 1024, "1024", "1 vCPU" or "0.5 vcpu"; ValueError says what is accepted."""
    return _parse(value, _CPU_UNITS, "CPU units as an integer such as 1024, or a string such as '1 vCPU'")


def parse_memory(value: object) -> int:
    """MiB from 2048, "2048", "2048 MiB" or "2 GB"; ValueError says what is accepted."""
    return _parse(value, _MEMORY_UNITS, "MiB as an integer such as 2048, or a string such as '2 GB'")


def _parse(value: object, units: Mapping[str, int], accepted: str) -> int:
    number: float
    if isinstance(value, bool):
        raise ValueError(f"give {accepted}")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str) and (match := _QUANTITY.match(value)):
        unit = match.group(2).lower()
        if unit not in units:
            raise ValueError(f"unit {match.group(2)!r} is not known; give {accepted}")
        number = float(match.group(1)) * units[unit]
    else:
        raise ValueError(f"give {accepted}")
    if not math.isfinite(number) or not number.is_integer() or number < 1:
        raise ValueError(f"it must come to a whole number of at least 1; give {accepted}")
    return int(number)
