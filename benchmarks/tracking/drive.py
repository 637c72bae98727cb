"""One tracking run, driven as Airflow's scheduler drives an executor (public API only): hand over N tasks
a batch per heartbeat until all run, heartbeat through a steady state, then have the endpoint end every
task over a few minutes and heartbeat until Airflow has all their final states."""

from __future__ import annotations

import gc
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psutil

from benchmarks.launch.probe import HeartbeatSplit

SAMPLE_EVERY = 2.0  # seconds between samples of the executor's call counts

Counts = dict[str, int]


@dataclass(frozen=True)
class Pacing:
    interval: float  # seconds from one heartbeat's start to the next
    batch: int  # tasks handed over per heartbeat while launching
    steady: float  # seconds of heartbeats with all N running
    stop_over: float  # the endpoint ends the N tasks evenly over this many seconds
    cap: float  # give up this long after the first heartbeat


@dataclass(frozen=True)
class Beat:
    phase: str  # launch, steady, stopping
    seconds: float
    process: float  # of which the executor's _process_workloads (handing over tasks)
    sync: float  # of which the executor's sync()


@dataclass
class Samples:
    n: int
    beats: list[Beat] = field(default_factory=list)
    arns: dict[Any, str] = field(default_factory=dict)  # task key -> ECS task ARN (its RUNNING event)
    finals: dict[Any, list[tuple[str, float]]] = field(default_factory=dict)  # key -> [(state, unix time)]
    stopped: dict[str, float] = field(default_factory=dict)  # ARN -> unix time the endpoint stopped it
    calls: list[tuple[float, Counts]] = field(default_factory=list)  # (s after first heartbeat, counts)
    steady: tuple[float, float] = (0.0, 0.0)  # the steady window, s after the first heartbeat
    all_running_s: float | None = None
    rss_growth: int = 0  # bytes the process grew from before the first task to all N running
    events: Counts = field(default_factory=dict)
    views: Counts = field(default_factory=dict)  # the tracker's events by verdict
    capped: bool = False


def _rss() -> int:
    gc.collect()
    return int(psutil.Process().memory_info().rss)


def _collect(executor: Any, samples: Samples, now: float) -> None:
    for key, (state, info) in executor.get_event_buffer().items():
        if str(state) == "running" and info:
            samples.arns[key] = str(info)
        elif str(state) in ("success", "failed"):
            samples.finals.setdefault(key, []).append((str(state), now))


def drive(executor: Any, workloads: list[Any], pacing: Pacing, ask: Callable[[str], str]) -> Samples:
    """`ask` sends one command to the endpoint process (benchmarks/tracking/endpoint.py) and returns its answer."""
    samples = Samples(n=len(workloads))
    executor.start()
    split = HeartbeatSplit(executor)
    baseline = _rss()
    handover = iter(workloads)
    phase, phase_start = "launch", 0.0
    first = time.perf_counter()
    samples.calls.append((0.0, json.loads(ask("calls"))))
    try:
        while True:
            started = time.perf_counter()
            for workload in itertools.islice(handover, pacing.batch):
                executor.queue_workload(workload, session=None)
            beat_start = time.perf_counter()
            executor.heartbeat()
            ended = time.perf_counter()
            samples.beats.append(Beat(phase, ended - beat_start, *split.take()))
            _collect(executor, samples, time.time())
            executor._task_event_logs.clear()  # the scheduler saves them to its database after each heartbeat
            elapsed = ended - first
            if elapsed - samples.calls[-1][0] >= SAMPLE_EVERY:
                samples.calls.append((elapsed, json.loads(ask("calls"))))
            if phase == "launch" and len(samples.arns) >= samples.n:
                samples.all_running_s = elapsed
                samples.rss_growth = _rss() - baseline
                samples.calls.append((elapsed, json.loads(ask("calls"))))
                phase, phase_start = "steady", elapsed
            elif phase == "steady" and elapsed - phase_start >= pacing.steady:
                samples.calls.append((elapsed, json.loads(ask("calls"))))
                samples.steady = (phase_start, elapsed)
                ask(f"exit {pacing.stop_over}")
                phase = "stopping"
            elif phase == "stopping" and len(samples.finals) >= samples.n:
                break
            if elapsed >= pacing.cap:
                samples.capped = True
                break
            time.sleep(max(0.0, pacing.interval - (time.perf_counter() - started)))
        samples.calls.append((time.perf_counter() - first, json.loads(ask("calls"))))
        samples.stopped = json.loads(ask("stopped"))
        samples.events = json.loads(ask("events"))
        samples.views = dict(getattr(executor.tracker, "views", {}))
    finally:
        executor.end()
    return samples
