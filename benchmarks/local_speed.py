"""The local stack's interactive speed: the fork server on and off (and, optionally, an earlier commit).

Measures, on this machine, what a user of the local stack waits for:

- a hop: an upstream task's end to the next farflow-executor task's start, in sample_dag (median, worst),
  and where its seconds go (scheduler, executor, endpoint, interpreter + imports, supervisor + first API
  call; see benchmarks/local/timing.py);
- trigger -> the first task running;
- sample_dag's run from the trigger (the first run on a fresh stack is the demo's), and `farflow demo`'s
  wall time as a user runs it;
- N independent one-second tasks triggered at once (one DAG run), until all are done.

Variants: "fork" (FARFLOW_LOCAL_FORK_SERVER=1), "spawn" (=0), and with --before REV "before": the source
of git revision REV (its src/ first on PYTHONPATH). Each round runs every variant once, one after the
other, each in a process of its own with its own `farflow demo` runs and its own fresh stack; figures are
merged over rounds, so noise from other work on the machine lands on every variant alike.

    .venv/bin/python benchmarks/local_speed.py --variants fork before --before REV --demos 3  # against REV
    .venv/bin/python benchmarks/local_speed.py --variants fork --runs 2 --fanout 0 --demos 0   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for `benchmarks.local`

from benchmarks.local.report import Raw, details, empty, hop_dicts, markdown, merge, table  # noqa: E402
from benchmarks.local.scenario import (  # noqa: E402
    MODES,
    demo_run,
    fanout_run,
    fork_server,
    fresh_database,
    sample_run,
    start_stack,
    write_project,
)

BEFORE = "before"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--variants", nargs="+", default=None, choices=[*MODES, BEFORE])
    parser.add_argument("--before", metavar="REV", help="also measure git revision REV (variant 'before')")
    parser.add_argument(
        "--before-mode",
        choices=list(MODES),
        default="fork",
        help="how REV starts containers (default fork; spawn for revisions from before the fork server)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="times to run every variant (default 1)")
    parser.add_argument("--runs", type=int, default=5, help="sample_dag runs per stack (default 5)")
    parser.add_argument("--fanout", type=int, default=100, help="independent one-second tasks (0: skip)")
    parser.add_argument("--fanout-timeout", type=float, default=600.0, help="give up on them after (s)")
    parser.add_argument("--demos", type=int, default=1, help="`farflow demo` runs per variant and round")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="a PostgreSQL server (postgresql+psycopg2://USER@HOST:PORT) to give each stack and demo a fresh "
        "database on, instead of each stack's own embedded PostgreSQL (the default)",
    )
    parser.add_argument("--json", type=Path, help="write the merged figures as JSON")
    parser.add_argument("--child", choices=list(MODES), help=argparse.SUPPRESS)  # one variant, in-process
    args = parser.parse_args(argv)
    if args.variants is None:
        args.variants = [*([BEFORE] if args.before else []), "spawn", "fork"]
    if BEFORE in args.variants and not args.before:
        parser.error("variant 'before' needs --before REV")
    return args


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure(mode: str, args: argparse.Namespace, scratch: Path) -> Raw:
    """Every scenario once, for one fork-server mode, in this process."""
    raw = empty()
    # One template cache per variant and round: its first demo builds the metadata database template.
    os.environ.setdefault("FARFLOW_CACHE", str(scratch / "cache"))
    raw["load"].append(round(os.getloadavg()[0], 1))
    try:
        measure_into(raw, mode, args, scratch)
    finally:
        raw["load"].append(round(os.getloadavg()[0], 1))
    return raw


def measure_into(raw: Raw, mode: str, args: argparse.Namespace, scratch: Path) -> None:
    with fork_server(mode):
        for index in range(args.demos):
            demo = demo_run(mode, scratch / f"demo-{index}", fresh_database(args.postgres))
            log(f"  farflow demo: {'ok' if demo.ok else 'FAILED'} in {demo.wall:.1f} s")
            raw["demo_first" if index == 0 else "demo"].append(round(demo.wall, 2) if demo.ok else None)
            raw["demo_reported"].append(demo.reported)
        if args.runs <= 0 and args.fanout <= 0:
            return
        started = start_stack(write_project(scratch / "stack", args.fanout), fresh_database(args.postgres))
        try:
            raw["startup"].append({step: round(seconds, 2) for step, seconds in started.steps.items()})
            seconds = []
            for _ in range(args.runs):
                run = sample_run(started)
                log(
                    f"  sample_dag: {run.state} in {run.seconds:.1f} s, hops {[round(h.total, 2) for h in run.hops]}"
                )
                seconds.append(round(run.seconds, 2))
                raw["runs_ok"].append(run.state == "success")
                raw["hops"] += hop_dicts(run.hops)
                raw["first"] += hop_dicts(run.first)
                raw["worker"] += run.worker
            raw["runs"].append(seconds)
            if args.fanout > 0:
                fanout = fanout_run(started, args.fanout, args.fanout_timeout)
                log(
                    f"  {fanout.n} one-second tasks: {fanout.state}, {fanout.succeeded} done in {fanout.seconds:.1f} s"
                )
                raw["fanout"].append(vars(fanout))
        finally:
            started.stack.stop()


def export(revision: str, into: Path) -> Path:
    """The src/ folder of `revision`, for the 'before' variant."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "src"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def run_child(variant: str, args: argparse.Namespace, scratch: Path, before_src: Path | None) -> Raw:
    """One variant, measured in a process of its own."""
    scratch.mkdir(parents=True, exist_ok=True)
    out = scratch / f"{variant}.json"
    command = [sys.executable, __file__, "--child", args.before_mode if variant == BEFORE else variant]
    command += ["--runs", str(args.runs), "--fanout", str(args.fanout), "--demos", str(args.demos)]
    command += ["--fanout-timeout", str(args.fanout_timeout), "--json", str(out)]
    command += ["--postgres", args.postgres] if args.postgres else []
    env = dict(os.environ)
    if variant == BEFORE and before_src is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(before_src), env.get("PYTHONPATH")]))
    done = subprocess.run(command, env=env, check=False)
    if done.returncode != 0 or not out.exists():
        log(f"  {variant}: the measuring process failed (exit code {done.returncode})")
        return empty()
    raw: Raw = json.loads(out.read_text())
    return raw


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="farflow-local-speed-"))
    try:
        if args.child:
            raw = measure(args.child, args, scratch)
            if args.json:
                args.json.write_text(json.dumps(raw))
            return 0
        before_src = export(args.before, scratch) if args.before else None
        rounds: dict[str, list[Raw]] = {variant: [] for variant in args.variants}
        for index in range(args.rounds):
            for variant in args.variants:
                log(f"round {index + 1}/{args.rounds}: {variant}")
                rounds[variant].append(run_child(variant, args, scratch / f"{index}-{variant}", before_src))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    columns = {variant: merge(raws) for variant, raws in rounds.items()}
    if args.json:
        args.json.write_text(json.dumps(columns, indent=1))
    print(f"$ python benchmarks/local_speed.py {shlex.join(argv)}")
    print(
        f"{args.rounds} round(s); per variant and round: {args.runs} sample_dag runs on one fresh stack, ",
        end="",
    )
    print(f"N = {args.fanout}, {args.demos} farflow demo run(s)")
    print(details(columns))
    print(markdown(table(columns)))
    ok = all(all(raw["runs_ok"]) and None not in raw["demo"] + raw["demo_first"] for raw in columns.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
