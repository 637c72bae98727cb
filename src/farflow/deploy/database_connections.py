"""How many connections an RDS for PostgreSQL instance class allows by default, for the connections alarm.

RDS sets `max_connections` to `LEAST({DBInstanceClassMemory/9531392}, 5000)` in PostgreSQL's default
parameter groups (Amazon RDS User Guide, "Maximum number of database connections"). DBInstanceClassMemory
is the class's memory less what RDS keeps for the operating system and its own processes; the values
`SHOW max_connections` returns on default instances (198 on a 2 GiB class, 413 on 4 GiB, 856 on 8 GiB)
are 88-95% of memory/9531392, so farflow takes 90% of the class's memory. The memory comes from the
class's name: the burstable classes by size, the others by the GiB per vCPU of their family letter
(m: 4, r and z: 8, x: 16) times the vCPUs of their size (large: 2, xlarge: 4, Nxlarge: 4N).
"""

from __future__ import annotations

import re

BYTES_PER_CONNECTION = 9531392
CONNECTION_CAP = 5000
USABLE_SHARE = 0.9
# The share of the limit the alarm fires at: enough room to add a scheduler or api-server before it fills.
ALARM_SHARE = 0.8
GIB = 1024**3

BURSTABLE_GIB = {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32}
GIB_PER_VCPU = {"m": 4, "r": 8, "z": 8, "x": 16}
_CLASS = re.compile(r"(?:db\.)?(?P<family>[a-z][a-z0-9-]*)\.(?P<size>[a-z0-9-]+)")
_SIZE_VCPUS = re.compile(r"(?P<times>\d*)xlarge")


def memory_gib(instance_class: str) -> float | None:
    """The class's memory in GiB, or None when its name does not say (a metal size, an unknown family)."""
    match = _CLASS.fullmatch(instance_class)
    if not match:
        return None
    family, size = match["family"], match["size"]
    if family.startswith("t"):
        return BURSTABLE_GIB.get(size)
    per_vcpu = GIB_PER_VCPU.get(family[0])
    if per_vcpu is None:
        return None
    if size == "large":
        return per_vcpu * 2
    vcpus = _SIZE_VCPUS.fullmatch(size)
    if vcpus is None:
        return None
    return per_vcpu * 4 * int(vcpus["times"] or 1)


def max_connections(instance_class: str) -> int:
    """PostgreSQL's default `max_connections` on RDS for the class; the cap where the name does not say."""
    gib = memory_gib(instance_class)
    if gib is None:
        return CONNECTION_CAP
    return min(int(gib * GIB * USABLE_SHARE / BYTES_PER_CONNECTION), CONNECTION_CAP)


def alarm_threshold(instance_class: str) -> int:
    """The connection count the alarm fires above."""
    return int(max_connections(instance_class) * ALARM_SHARE)
