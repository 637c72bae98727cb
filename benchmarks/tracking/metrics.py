"""One run's samples as the numbers the table shows."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks.tracking.drive import Counts, Samples

ECS_READS = ("DescribeTasks", "ListTasks", "DescribeClusters", "DescribeTaskDefinition")
SQS_CALLS = ("ReceiveMessage", "DeleteMessageBatch", "GetQueueAttributes")
PEAK_WINDOW = 10.0  # seconds: the busiest stretch of this length in the steady state


@dataclass(frozen=True)
class Result:
    mode: str
    n: int
    finished: int  # tasks with a final state in Airflow
    lost: int  # tasks without one when the run ended
    twice: int  # tasks that got more than one final state
    wrong: int  # tasks whose final state is not success (every task exits 0)
    capped: bool
    all_running_s: float | None
    longest_heartbeat_s: dict[str, float]  # by phase: launch, steady, stopping, all
    longest_split_s: tuple[float, float]  # of the longest heartbeat: _process_workloads, sync()
    ecs_reads_per_s_steady: float | None
    ecs_reads_peak_per_s_steady: float | None  # over the busiest PEAK_WINDOW seconds
    ecs_reads_per_task: float  # over the whole run, per task
    sqs_calls_per_s_steady: float | None
    stop_to_state_s: dict[str, float | None]  # p50, p99, max
    memory_per_task_bytes: float
    events: Counts
    views: Counts

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest rank: the smallest value with at least q% of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _sum(counts: Counts, names: tuple[str, ...]) -> int:
    return sum(counts.get(name, 0) for name in names)


def _rate(samples: Samples, names: tuple[str, ...], start: float, end: float) -> float | None:
    inside = [(t, c) for t, c in samples.calls if start <= t <= end]
    if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
        return None
    return (_sum(inside[-1][1], names) - _sum(inside[0][1], names)) / (inside[-1][0] - inside[0][0])


def _peak(samples: Samples, names: tuple[str, ...], start: float, end: float) -> float | None:
    inside = [(t, _sum(c, names)) for t, c in samples.calls if start <= t <= end]
    rates = []
    for index, (t0, c0) in enumerate(inside):
        later = next(((t, c) for t, c in inside[index + 1 :] if t - t0 >= PEAK_WINDOW), None)
        if later is not None:
            rates.append((later[1] - c0) / (later[0] - t0))
    return max(rates, default=None)


def summarise(mode: str, samples: Samples) -> Result:
    finals = {key: states for key, states in samples.finals.items()}
    latencies = [
        states[0][1] - samples.stopped[samples.arns[key]]
        for key, states in finals.items()
        if key in samples.arns and samples.arns[key] in samples.stopped
    ]
    by_phase: dict[str, float] = {"all": max((b.seconds for b in samples.beats), default=0.0)}
    for beat in samples.beats:
        by_phase[beat.phase] = max(by_phase.get(beat.phase, 0.0), beat.seconds)
    longest = max(samples.beats, key=lambda b: b.seconds, default=None)
    start, end = samples.steady
    total = samples.calls[-1][1] if samples.calls else {}
    return Result(
        mode=mode,
        n=samples.n,
        finished=len(finals),
        lost=samples.n - len(finals),
        twice=sum(len(states) > 1 for states in finals.values()),
        wrong=sum(states[0][0] != "success" for states in finals.values()),
        capped=samples.capped,
        all_running_s=samples.all_running_s,
        longest_heartbeat_s=by_phase,
        longest_split_s=(longest.process, longest.sync) if longest else (0.0, 0.0),
        ecs_reads_per_s_steady=_rate(samples, ECS_READS, start, end),
        ecs_reads_peak_per_s_steady=_peak(samples, ECS_READS, start, end),
        ecs_reads_per_task=(_sum(total, ECS_READS) - _sum(samples.calls[0][1], ECS_READS)) / samples.n,
        sqs_calls_per_s_steady=_rate(samples, SQS_CALLS, start, end),
        stop_to_state_s={
            "p50": percentile(latencies, 50),
            "p99": percentile(latencies, 99),
            "max": max(latencies, default=None),
        },
        memory_per_task_bytes=samples.rss_growth / samples.n,
        events=samples.events,
        views=samples.views,
    )
