"""Fargate's table of valid task sizes: what the executor checks each request against and the deploy
checks `farflow.toml` against.

Fargate accepts only certain (cpu, memory) pairs and rejects others at RunTask time with a terse
error. Checking before the call lets farflow name the nearest pair that works.
"""

from __future__ import annotations

from collections.abc import Mapping


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
