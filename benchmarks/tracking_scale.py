"""Tracking at scale: N concurrently running ECS tasks followed by DescribeTasks polling, by task state
change events, and by events of which 5% are lost, 5% duplicated and 5% delivered late.

Each mode gets a fresh local endpoint (tasks run no process) in a process of its own. farflow's executor
is handed the N tasks a batch per heartbeat; once all run, a steady window shows what following them
costs; then the endpoint ends every task, spread over a few minutes, and the run lasts until Airflow has
each task's final state.

    .venv/bin/python benchmarks/tracking_scale.py            # N=10,000: writes its section of docs/benchmarks.md
    .venv/bin/python benchmarks/tracking_scale.py --quick    # a smoke run: N=40, short windows
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for `benchmarks.*` and tests.support.workloads

DEFAULT_OUT = ROOT / "docs" / "benchmarks.md"
SECTION = "tracking-scale"
QUICK = {"n": 40, "steady": 2.0, "stop_over": 2.0, "reconcile_interval": 2.0, "batch": 20}


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    from farflow.executor.settings import OPTIONS_BY_NAME

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000, help="concurrently running tasks")
    parser.add_argument(
        "--modes", nargs="+", default=["polling", "events", "faults"], choices=["polling", "events", "faults"]
    )
    parser.add_argument("--steady", type=float, default=150.0, help="seconds with all N running")
    parser.add_argument("--stop-over", type=float, default=180.0, help="seconds over which all N stop")
    parser.add_argument(
        "--reconcile-interval",
        type=float,
        default=float(OPTIONS_BY_NAME["reconcile_interval"].default or 120),
        help="[ecs_fargate] reconcile_interval (default: the executor's default)",
    )
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between heartbeat starts")
    parser.add_argument("--batch", type=int, default=250, help="tasks handed over per heartbeat")
    parser.add_argument("--cap", type=float, help="give up on a mode after this many seconds")
    parser.add_argument("--quick", action="store_true", help="a smoke run; no docs unless --out")
    parser.add_argument("--out", type=Path, help=f"Markdown report (default {DEFAULT_OUT.relative_to(ROOT)})")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    elif args.out is None:
        args.out = DEFAULT_OUT
    if args.cap is None:
        args.cap = 120 + args.n / 50 + args.steady + args.stop_over + 3 * args.reconcile_interval
    return args


def notes(args: argparse.Namespace) -> list[str]:
    return [
        "Each mode gets a fresh local ECS endpoint (farflow.local.endpoint, execute=False: tasks go RUNNING "
        "without a process and stay so until ended) in a process of its own, seeded as `farflow local up` "
        "seeds it, task events queue and rule included; the benchmark's process holds only the executor.",
        f"The executor gets {args.batch} tasks per heartbeat, a heartbeat every {args.interval:g} s, until all "
        f"N have their RUNNING event; then {args.steady:g} s of heartbeats (the steady window); then the endpoint "
        f"ends every task (exit code 0) in a random order, evenly over {args.stop_over:g} s, and heartbeats go "
        "on until every task has its final state in get_event_buffer().",
        "RunTask is allowed 500/s (burst 500, 16 in flight): launching is the launch benchmark's subject. "
        f"Everything else is the executor's default: poll_interval 2 s; with events, reconcile_interval "
        f"{args.reconcile_interval:g} s.",
        "'longest heartbeat': wall time of heartbeat() (handing over tasks with queue_workload() is the "
        "scheduler's work and not timed), the longest in each phase.",
        "'ECS reads': DescribeTasks (and any other ECS read) calls of the executor's client, counted at the "
        "endpoint by User-Agent: per second over the steady window (and over its busiest 10 s, from samples "
        "every 2 s), and per task over the whole run (start-up health checks included).",
        "'SQS calls': ReceiveMessage and DeleteMessageBatch of the executor per second over the steady window.",
        "'stop to Airflow state': from the moment the endpoint reported the task STOPPED (DescribeTasks shows "
        "it, its event is published) to the end of the heartbeat whose event buffer held the task's final state.",
        "'memory / tracked task': growth of the benchmark process's resident memory from just before the first "
        "task was handed over (the N workloads already built) to all N running, over N.",
        "Faults (third mode): each event is dropped, duplicated, and delivered 1 s late, each with probability "
        "0.05 (seeded). 'lost' counts tasks without a final state when the run ended, 'twice' tasks with more "
        "than one, 'wrong' tasks whose final state is not success.",
    ]


def run_all(args: argparse.Namespace) -> list[Any]:
    from rich.console import Console

    from benchmarks.tracking.drive import Pacing
    from benchmarks.tracking.run import MODES, run_mode

    console = Console(stderr=True)
    pacing = Pacing(args.interval, args.batch, args.steady, args.stop_over, args.cap)
    results = []
    for name in args.modes:
        mode = MODES[name]
        console.log(f"{mode.name}: N={args.n} (cap {args.cap:.0f} s)")
        result = run_mode(mode, args.n, pacing, args.reconcile_interval)
        console.log(f"  {result.finished}/{result.n} finished, {result.lost} lost")
        results.append(result)
    return results


def report(args: argparse.Namespace, argv: Sequence[str], results: list[Any]) -> None:
    from rich.console import Console

    from benchmarks.sections import write_section
    from benchmarks.tracking.report import markdown, print_table, targets

    print_table(results, Console(width=None if sys.stdout.isatty() else 250))
    if args.out:
        command = f"python benchmarks/tracking_scale.py {shlex.join(argv)}".strip()
        write_section(args.out, SECTION, markdown(results, command, notes(args)))
        print(f"wrote the {SECTION} section of {args.out}", file=sys.stderr)
    if args.json:
        met = [{"what": what, "met": ok, "evidence": evidence} for what, ok, evidence in targets(results)]
        args.json.write_text(
            json.dumps({"results": [r.as_dict() for r in results], "targets": met}, indent=2)
        )


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)

    from benchmarks.launch.env import prepare_process, warm_up_airflow

    home = prepare_process()  # before anything imports Airflow
    try:
        warm_up_airflow()
        results = run_all(args)
        report(args, argv, results)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0 if all(r.lost == 0 and r.twice == 0 and r.wrong == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
