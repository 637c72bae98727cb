"""The tracking benchmark's table (rich and Markdown), its targets, and how it is measured."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from benchmarks.launch.report import airflow_version, machine
from benchmarks.tracking.metrics import Result

HEARTBEAT_TARGET_S = 0.050
READS_TARGET_PER_S = 1.0
P99_TARGET_S = 2.0

COLUMNS = (
    "mode",
    "N",
    "finished (lost, twice, wrong)",
    "longest heartbeat: launch / steady / stopping",
    "ECS reads / s, steady (busiest 10 s)",
    "ECS reads / task",
    "SQS calls / s, steady",
    "stop to Airflow state: p50 / p99 / max",
    "memory / tracked task",
    "events: published / dropped / duplicated / delayed",
)


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def row(result: Result) -> tuple[str, ...]:
    beats = result.longest_heartbeat_s
    latency = result.stop_to_state_s
    events = result.events
    outcome = f"{result.finished}/{result.n} ({result.lost}, {result.twice}, {result.wrong})"
    return (
        result.mode,
        str(result.n),
        outcome + (" capped" if result.capped else ""),
        " / ".join(_seconds(beats.get(phase)) for phase in ("launch", "steady", "stopping")),
        f"{_rate(result.ecs_reads_per_s_steady)} ({_rate(result.ecs_reads_peak_per_s_steady)})",
        f"{result.ecs_reads_per_task:.3f}",
        _rate(result.sqs_calls_per_s_steady),
        " / ".join(_seconds(latency[q]) for q in ("p50", "p99", "max")),
        f"{result.memory_per_task_bytes / 1024:.1f} KiB",
        " / ".join(str(events.get(k, 0)) for k in ("published", "dropped", "duplicated", "delayed"))
        if events.get("published")
        else "-",
    )


def targets(results: Sequence[Result]) -> list[tuple[str, bool | None, str]]:
    """The targets with events: (what, met? (None: not measured), evidence)."""
    by_mode = {result.mode: result for result in results}
    clean = by_mode.get("events")
    faulty = next((r for r in results if r.mode.startswith("events,")), None)
    found: list[tuple[str, bool | None, str]] = []
    if clean is not None:
        longest = clean.longest_heartbeat_s["all"]
        reads = clean.ecs_reads_per_s_steady
        p99 = clean.stop_to_state_s["p99"]
        found += [
            (
                f"events: longest heartbeat < {HEARTBEAT_TARGET_S * 1000:.0f} ms",
                longest < HEARTBEAT_TARGET_S,
                _seconds(longest),
            ),
            (
                f"events: <= {READS_TARGET_PER_S:g} ECS read call a second in steady state at N={clean.n} running",
                reads is not None and reads <= READS_TARGET_PER_S,
                f"{_rate(reads)}/s over the steady window (busiest 10 s: {_rate(clean.ecs_reads_peak_per_s_steady)}/s)",
            ),
            (
                f"events: stop to Airflow state p99 < {P99_TARGET_S:g} s",
                p99 is not None and p99 < P99_TARGET_S,
                f"p99 {_seconds(p99)}, p50 {_seconds(clean.stop_to_state_s['p50'])}",
            ),
        ]
    if faulty is not None:
        found.append(
            (
                "events, 5% dropped (and 5% duplicated, 5% reordered): no task lost, none ended twice or wrong",
                faulty.lost == 0 and faulty.twice == 0 and faulty.wrong == 0 and not faulty.capped,
                f"{faulty.finished}/{faulty.n} finished, {faulty.events.get('dropped', 0)} events dropped; "
                f"the slowest waited {_seconds(faulty.stop_to_state_s['max'])} for the sweep",
            )
        )
    return found


def _mark(met: bool | None) -> str:
    return {True: "met", False: "MISSED", None: "not measured"}[met]


def print_table(results: Sequence[Result], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title="Tracking at scale: DescribeTasks polling vs ECS task state change events")
    for name in COLUMNS:
        table.add_column(name, justify="left" if name == "mode" else "right", no_wrap=name == "mode")
    for result in results:
        table.add_row(*row(result))
    console.print(table)
    for what, met, evidence in targets(results):
        colour = {True: "green", False: "red", None: "yellow"}[met]
        console.print(f"[{colour}]{_mark(met)}[/]: {what} - {evidence}")


def markdown(results: Sequence[Result], command: str, notes: Sequence[str]) -> str:
    lines = [
        "# Benchmark: tracking at scale (polling vs events)",
        "",
        f"- Command: `{command}`",
        f"- Machine: {machine()} (shared with other work)",
        f"- Date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Airflow {airflow_version()}",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(COLUMNS))) + "|",
    ]
    lines += ["| " + " | ".join(row(result)) + " |" for result in results]
    lines += ["", "## Targets (with events)", ""]
    lines += [f"- {_mark(met)}: {what} ({evidence})" for what, met, evidence in targets(results)]
    lines += ["", "## How it is measured", ""]
    lines += [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"
