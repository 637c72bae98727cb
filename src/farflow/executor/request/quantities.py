"""The readable forms users write cpu and memory in: 1024, "1 vCPU", "2 GB"."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

MIB_PER_GIB = 1024
UNITS_PER_VCPU = 1024

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
