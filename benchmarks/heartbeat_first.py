"""Does a heartbeat that goes first (farflow.executor.heartbeat_first) wait less for the interpreter lock?

A model of the launch phase, without AWS or Airflow: 16 threads each spend `--burst` ms of CPU on a
request, 30 ms waiting for the answer, and half the burst parsing it; the main thread's "heartbeat" is
5 ms of CPU every 100 ms. With `HeartbeatFirst` the threads ask for their turn before each request, as
the launcher does. It prints the heartbeat's wall time (ms) either way.

    .venv/bin/python benchmarks/heartbeat_first.py --burst 1 2
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
import time
from collections.abc import Sequence

from farflow.executor.heartbeat_first import HeartbeatFirst

PAYLOAD = {f"k{index}": list(range(20)) for index in range(50)}
THREADS = 16
IN_FLIGHT_S = 0.03
HEARTBEAT_CPU_MS = 5.0
BEATS = 160


def spend(ms: float) -> None:
    """CPU work under the interpreter lock, as serialising and signing a request is."""
    end = time.thread_time() + ms / 1000
    while time.thread_time() < end:
        json.loads(json.dumps(PAYLOAD))


def run(burst_ms: float, first: bool) -> list[float]:
    """The heartbeats' wall times (ms), sorted; `first`: the threads wait for their turn."""
    turns, stop = HeartbeatFirst(), threading.Event()

    def worker() -> None:
        while not stop.is_set():
            if first:
                turns.wait()
            spend(burst_ms)
            time.sleep(IN_FLIGHT_S)
            spend(burst_ms / 2)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    walls = []
    for _ in range(BEATS):
        started = time.perf_counter()
        with turns.heartbeat() if first else contextlib.nullcontext():
            spend(HEARTBEAT_CPU_MS)
        walls.append((time.perf_counter() - started) * 1000)
        time.sleep(0.1)
    stop.set()
    for thread in threads:
        thread.join()
    return sorted(walls)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--burst", type=float, nargs="+", default=[1.0, 2.0], help="ms of CPU per request")
    args = parser.parse_args(argv)
    print("| burst | heartbeat goes first | p50 | p90 | p99 | max |\n|---:|---|---:|---:|---:|---:|")
    for burst in args.burst:
        for first in (False, True):
            walls = run(burst, first)
            cells = [walls[len(walls) * q // 100] for q in (50, 90, 99)] + [walls[-1]]
            figures = " | ".join(f"{value:.1f} ms" for value in cells)
            print(f"| {burst:g} ms | {'yes' if first else 'no'} | {figures} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
