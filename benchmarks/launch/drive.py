"""Drives one executor like Airflow's scheduler does, through the public executor API only:
queue_workload() for N tasks, then heartbeat() in a loop, reading get_event_buffer() after each one."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from benchmarks.launch.probe import HeartbeatSplit, Round, RoundProbe

Counts = Mapping[str, int]


@dataclass(frozen=True)
class Pacing:
    interval: float  # seconds from one heartbeat's start to the next one's (if the heartbeat was shorter)
    settle: float  # keep heartbeating this long after all N are RUNNING, to see steady-state polling
    cap: float  # give up this many seconds after the first heartbeat


@dataclass(frozen=True)
class Beat:
    seconds: float  # wall time of heartbeat()
    process: float  # of which the executor's _process_workloads
    sync: float  # of which the executor's sync


@dataclass
class Samples:
    """What one run observed; metrics.py turns it into a table row."""

    n: int
    beats: list[Beat] = field(default_factory=list)
    running_at: list[float] = field(default_factory=list)  # seconds after the first heartbeat, sorted
    failed: int = 0
    all_running: float | None = None  # seconds from the first heartbeat until all N were RUNNING
    capped: bool = False
    calls: Counts = field(default_factory=dict)  # endpoint calls by operation, first heartbeat to the end
    settled_calls: Counts = field(default_factory=dict)  # ... from all N RUNNING to the end
    settled_seconds: float = 0.0
    rounds: list[Round] = field(default_factory=list)
    rate: float | None = None  # farflow's configured RunTask rate
    burst: int | None = None  # farflow's configured RunTask burst


def _collect(executor: Any, seen: dict[Any, float], now: float, samples: Samples) -> None:
    for key, (state, _info) in executor.get_event_buffer().items():
        if str(state) == "running":
            seen.setdefault(key, now)
        elif str(state) == "failed":
            samples.failed += 1


def _minus(after: Counts, before: Counts) -> dict[str, int]:
    return {op: after.get(op, 0) - before.get(op, 0) for op in after}


def drive(
    executor: Any,
    workloads: list[Any],
    pacing: Pacing,
    counts: Callable[[], Counts],
    stop: Callable[[Any], None],
) -> Samples:
    """Queue every workload, then heartbeat until all are RUNNING (plus `settle`) or `cap` runs out."""
    samples = Samples(n=len(workloads))
    executor.start()
    rounds = RoundProbe(executor.tracker) if hasattr(executor, "tracker") else None
    split = HeartbeatSplit(executor)
    # farflow's launch rate limiter (the Amazon provider's executor has none).
    limiter = getattr(getattr(executor, "launcher", None), "rate_limiter", None)
    if limiter is not None:
        samples.rate, samples.burst = limiter.configured_rate, limiter.burst
    for workload in workloads:
        executor.queue_workload(workload, session=None)
    before = settled_from = counts()
    settled_at = 0.0
    seen: dict[Any, float] = {}
    first = time.perf_counter()
    stop_at = first + pacing.cap
    try:
        while True:
            started = time.perf_counter()
            executor.heartbeat()
            ended = time.perf_counter()
            samples.beats.append(Beat(ended - started, *split.take()))
            _collect(executor, seen, ended - first, samples)
            if samples.all_running is None and len(seen) >= samples.n:
                samples.all_running = ended - first
                settled_from, settled_at = counts(), time.perf_counter()
                stop_at = min(stop_at, settled_at + pacing.settle)
            if ended >= stop_at:
                samples.capped = samples.all_running is None
                break
            time.sleep(max(0.0, pacing.interval - (time.perf_counter() - started)))
        after = counts()
        if samples.all_running is not None:
            samples.settled_calls = _minus(after, settled_from)
            samples.settled_seconds = time.perf_counter() - settled_at
    finally:
        stop(executor)
    samples.calls = _minus(after, before)
    samples.running_at = sorted(seen.values())
    if rounds is not None:
        samples.rounds = list(rounds.rounds)
    return samples
