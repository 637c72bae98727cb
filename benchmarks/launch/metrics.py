"""Turns one run's samples into the numbers the table shows, and compares two executors as ratios."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks.launch.drive import Beat, Samples

MIN_TASKS_AFTER_BURST = 20  # fewer launches after the burst than this say nothing about the rate
DESCRIBE_BATCH = 100


@dataclass(frozen=True)
class Cell:
    executor: str
    delay_ms: int
    n: int
    running: int
    failed: int
    capped: bool
    heartbeats: int
    max_heartbeat_s: float
    max_heartbeat_index: int  # 1 = the first heartbeat, which hands the executor all N tasks
    max_heartbeat_process_s: float  # of the longest: in the executor's _process_workloads
    max_heartbeat_sync_s: float  # of the longest: in the executor's sync
    max_later_heartbeat_s: float  # the longest after the first
    all_running_s: float | None
    run_task_per_task: float
    describe_per_task: float
    describe_per_s_settled: float | None  # DescribeTasks calls/s once all N are RUNNING
    sustained_rate: float | None  # launches/s after the first `burst` tasks
    rate_pct: float | None  # sustained_rate as % of the configured RunTask rate
    rounds: int | None  # farflow's DescribeTasks rounds
    rounds_exact: int | None  # rounds whose calls == ceil(tracked / 100)
    max_calls_per_round: int | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sustained_rate(running_at: list[float], burst: int) -> float | None:
    """Launches per second from the burst-th RUNNING task to the last one."""
    after = len(running_at) - burst
    if after < MIN_TASKS_AFTER_BURST:
        return None
    span = running_at[-1] - running_at[burst - 1]
    return after / span if span > 0 else None


def _longest(beats: list[Beat]) -> tuple[int, Beat]:
    if not beats:
        return 0, Beat(0.0, 0.0, 0.0)
    index = max(range(len(beats)), key=lambda i: beats[i].seconds)
    return index + 1, beats[index]


def summarise(executor: str, delay_ms: int, samples: Samples) -> Cell:
    n = samples.n
    index, longest = _longest(samples.beats)
    rate = sustained_rate(samples.running_at, samples.burst) if samples.burst else None
    rounds = samples.rounds if samples.burst else None
    settled = samples.settled_calls.get("DescribeTasks", 0)
    return Cell(
        executor=executor,
        delay_ms=delay_ms,
        n=n,
        running=len(samples.running_at),
        failed=samples.failed,
        capped=samples.capped,
        heartbeats=len(samples.beats),
        max_heartbeat_s=longest.seconds,
        max_heartbeat_index=index,
        max_heartbeat_process_s=longest.process,
        max_heartbeat_sync_s=longest.sync,
        max_later_heartbeat_s=max((beat.seconds for beat in samples.beats[1:]), default=0.0),
        all_running_s=samples.all_running,
        run_task_per_task=samples.calls.get("RunTask", 0) / n,
        describe_per_task=samples.calls.get("DescribeTasks", 0) / n,
        describe_per_s_settled=settled / samples.settled_seconds if samples.settled_seconds else None,
        sustained_rate=rate,
        rate_pct=100 * rate / samples.rate if rate is not None and samples.rate else None,
        rounds=len(rounds) if rounds is not None else None,
        rounds_exact=(
            sum(r.calls == math.ceil(r.tracked / DESCRIBE_BATCH) for r in rounds)
            if rounds is not None
            else None
        ),
        max_calls_per_round=max((r.calls for r in rounds), default=0) if rounds is not None else None,
    )


RATIO_FIELDS = (
    "max_heartbeat_s",
    "max_later_heartbeat_s",
    "all_running_s",
    "run_task_per_task",
    "describe_per_task",
    "describe_per_s_settled",
)


def ratios(ours: Cell, theirs: Cell) -> dict[str, float | None]:
    """ours / theirs for each comparable number (None where either side has none)."""
    out: dict[str, float | None] = {}
    for name in RATIO_FIELDS:
        a, b = getattr(ours, name), getattr(theirs, name)
        out[name] = a / b if a is not None and b else None
    return out
