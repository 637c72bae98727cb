"""Launch throughput: farflow's EcsFargateExecutor and the Amazon provider's AwsEcsExecutor, side by side.

Both run against the same loopback ECS endpoint (a fresh one per cell, in its own process) that adds a
fixed delay to every API call, with N queued tasks, driven like Airflow's scheduler drives them: the public
executor API only (start, queue_workload, heartbeat, get_event_buffer, end). The table shows the longest
heartbeat, seconds until all N are RUNNING, RunTask and DescribeTasks calls per task (counted at the
endpoint), and for farflow the launch rate after the burst and DescribeTasks calls per polling round.

    .venv/bin/python benchmarks/launch_throughput.py                 # the full run, writes docs/benchmarks.md
    .venv/bin/python benchmarks/launch_throughput.py --quick --executors farflow   # a smoke run, N=20
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
    sys.path.insert(0, str(ROOT))  # for `benchmarks.launch` and tests.support.workloads

DEFAULT_OUT = ROOT / "docs" / "benchmarks.md"
QUICK_N = 20


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, nargs="+", default=[100, 1000], help="queued tasks per run")
    parser.add_argument("--delays", type=int, nargs="+", default=[40, 250], help="ms added to every API call")
    parser.add_argument(
        "--executors",
        nargs="+",
        default=["farflow", "amazon"],
        choices=["farflow", "farflow-store", "amazon"],
        help="farflow-store: farflow with [ecs_fargate] workload_store set (a PutObject before each RunTask)",
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"a smoke run: N={QUICK_N}, no docs unless --out"
    )
    parser.add_argument("--out", type=Path, help=f"Markdown report (default {DEFAULT_OUT.relative_to(ROOT)})")
    parser.add_argument("--json", type=Path, help="also write the cells as JSON")
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between heartbeat starts")
    parser.add_argument(
        "--settle", type=float, help="heartbeat this long after all are RUNNING (default 10 s, --quick 4 s)"
    )
    parser.add_argument("--cap", type=float, help="give up on a run after this many seconds (default: by N)")
    args = parser.parse_args(argv)
    if args.quick:
        args.n = [QUICK_N]
    elif args.out is None:
        args.out = DEFAULT_OUT
    if args.settle is None:
        args.settle = 4.0 if args.quick else 10.0
    return args


def default_cap(n: int, delay_ms: int) -> float:
    """Long enough for a serial launcher (N calls one after the other), plus margin."""
    return 60.0 + 3.0 * n * (delay_ms / 1000 + 0.05)


def run_all(args: argparse.Namespace) -> list[Any]:
    """Every (delay, N, executor) cell, in that order, so each pair runs back to back."""
    from rich.console import Console

    from benchmarks.launch.drive import Pacing
    from benchmarks.launch.executors import EXECUTORS
    from benchmarks.launch.run import run_cell

    console = Console(stderr=True)
    cells = []
    for delay_ms in args.delays:
        for n in args.n:
            for name in args.executors:
                cap = args.cap if args.cap is not None else default_cap(n, delay_ms)
                console.log(f"{EXECUTORS[name].import_path}: N={n}, {delay_ms} ms per call (cap {cap:.0f} s)")
                cell = run_cell(EXECUTORS[name], n, delay_ms, Pacing(args.interval, args.settle, cap))
                console.log(f"  {cell.running}/{n} RUNNING, longest heartbeat {cell.max_heartbeat_s:.3f} s")
                cells.append(cell)
    return cells


def report(args: argparse.Namespace, argv: Sequence[str], cells: list[Any]) -> None:
    """Print the table; write the Markdown report and the JSON if asked to."""
    from rich.console import Console

    from benchmarks.launch.executors import EXECUTORS
    from benchmarks.launch.report import markdown, print_table, targets
    from benchmarks.launch.run import notes
    from benchmarks.sections import keep_sections

    labels = {name: spec.label for name, spec in EXECUTORS.items()}
    print_table(cells, labels, Console(width=None if sys.stdout.isatty() else 250))
    if args.out:
        command = f"python benchmarks/launch_throughput.py {shlex.join(argv)}".strip()
        legend = [EXECUTORS[name].describe() for name in args.executors]
        args.out.parent.mkdir(parents=True, exist_ok=True)
        text = markdown(cells, labels, command, legend, notes(args.interval, args.settle))
        args.out.write_text(keep_sections(args.out, text))  # other benchmarks' sections stay
        print(f"wrote {args.out}", file=sys.stderr)
    if args.json:
        met = [{"what": what, "met": ok, "evidence": evidence} for what, ok, evidence in targets(cells)]
        args.json.write_text(
            json.dumps({"cells": [cell.as_dict() for cell in cells], "targets": met}, indent=2)
        )


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)

    from benchmarks.launch.env import prepare_process, warm_up_airflow

    home = prepare_process()  # before anything imports Airflow
    try:
        warm_up_airflow()
        cells = run_all(args)
        report(args, argv, cells)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0 if all(cell.running == cell.n for cell in cells) else 1


if __name__ == "__main__":
    sys.exit(main())
