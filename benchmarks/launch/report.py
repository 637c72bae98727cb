"""The results table: printed with rich, and written as Markdown with the command, machine and date."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from benchmarks.launch.metrics import Cell, ratios

HEARTBEAT_TARGET_S = 0.050
RATE_TARGET_PCT = 90.0

COLUMNS = (
    "executor",
    "delay",
    "N",
    "RUNNING",
    "longest heartbeat (#)",
    "of it: _process_workloads / sync",
    "longest after #1",
    "all RUNNING after",
    "RunTask / task",
    "DescribeTasks / task",
    "DescribeTasks / s, all RUNNING",
    "launch rate after burst",
    "rounds with ceil(n/100) calls",
)


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    style: str = ""


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def _ratio(value: float | None) -> str:
    """0.15x, 2.6x; below 0.01 as a fraction (1/1,100x), which reads better than 9.1e-04x."""
    if value is None:
        return "-"
    if 0 < value < 0.01:
        return f"1/{float(f'{1 / value:.2g}'):,.0f}x"
    return f"{value:.2g}x"


def _rate(cell: Cell) -> str:
    if cell.sustained_rate is None or cell.rate_pct is None:
        return "n/a (N <= burst)" if cell.rounds is not None else "-"
    return f"{cell.sustained_rate:.1f}/s ({cell.rate_pct:.0f}%)"


def _rounds(cell: Cell) -> str:
    if cell.rounds is None:
        return "-"
    return f"{cell.rounds_exact}/{cell.rounds} (max {cell.max_calls_per_round} calls)"


def _running(cell: Cell) -> str:
    text = f"{cell.running}/{cell.n}"
    if cell.failed:
        text += f", {cell.failed} failed"
    return text + (" (capped)" if cell.capped else "")


def _per_second(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def cell_row(cell: Cell, label: str) -> Row:
    return Row(
        (
            label,
            f"{cell.delay_ms} ms",
            str(cell.n),
            _running(cell),
            f"{_seconds(cell.max_heartbeat_s)} (#{cell.max_heartbeat_index})",
            f"{_seconds(cell.max_heartbeat_process_s)} / {_seconds(cell.max_heartbeat_sync_s)}",
            _seconds(cell.max_later_heartbeat_s),
            _seconds(cell.all_running_s),
            f"{cell.run_task_per_task:.2f}",
            f"{cell.describe_per_task:.3f}",
            _per_second(cell.describe_per_s_settled),
            _rate(cell),
            _rounds(cell),
        )
    )


def ratio_row(ours: Cell, theirs: Cell) -> Row:
    r = ratios(ours, theirs)
    return Row(
        (
            "ratio farflow / Amazon",
            f"{ours.delay_ms} ms",
            str(ours.n),
            "",
            _ratio(r["max_heartbeat_s"]),
            "",
            _ratio(r["max_later_heartbeat_s"]),
            _ratio(r["all_running_s"]),
            _ratio(r["run_task_per_task"]),
            _ratio(r["describe_per_task"]),
            _ratio(r["describe_per_s_settled"]),
            "",
            "",
        ),
        style="bold",
    )


def build_rows(cells: Sequence[Cell], labels: dict[str, str]) -> list[Row]:
    """The cells grouped by (delay, N), each group followed by its farflow / Amazon ratio row."""
    groups: dict[tuple[int, int], list[Cell]] = {}
    for cell in cells:
        groups.setdefault((cell.delay_ms, cell.n), []).append(cell)
    rows: list[Row] = []
    for group in groups.values():
        rows += [cell_row(cell, labels.get(cell.executor, cell.executor)) for cell in group]
        by_executor = {cell.executor: cell for cell in group}
        if "farflow" in by_executor and "amazon" in by_executor:
            rows.append(ratio_row(by_executor["farflow"], by_executor["amazon"]))
    return rows


def targets(cells: Sequence[Cell]) -> list[tuple[str, bool | None, str]]:
    """farflow's three targets: (what, met? (None: not measured), evidence)."""
    ours = [c for c in cells if c.executor.startswith("farflow")]
    if not ours:
        return []
    longest = max(ours, key=lambda c: c.max_heartbeat_s)
    heartbeat = (
        f"longest heartbeat < {HEARTBEAT_TARGET_S * 1000:.0f} ms at every N and delay",
        all(c.max_heartbeat_s < HEARTBEAT_TARGET_S and c.running == c.n for c in ours),
        f"worst {_seconds(longest.max_heartbeat_s)}, heartbeat #{longest.max_heartbeat_index} "
        f"(N={longest.n}, {longest.delay_ms} ms); after #1 at most "
        f"{_seconds(max(c.max_later_heartbeat_s for c in ours))}",
    )
    rated = [c for c in ours if c.rate_pct is not None]
    rate = (
        f"launch rate after the burst >= {RATE_TARGET_PCT:.0f}% of run_task_rate",
        all(c.rate_pct is not None and c.rate_pct >= RATE_TARGET_PCT for c in rated) if rated else None,
        ", ".join(f"{c.rate_pct:.0f}% (N={c.n}, {c.delay_ms} ms)" for c in rated) or "needs N > burst",
    )
    polled = [c for c in ours if c.rounds]
    rounds = (
        "DescribeTasks calls per round = ceil(tracked / 100)",
        all(c.rounds_exact == c.rounds for c in polled) if polled else None,
        ", ".join(f"{c.rounds_exact}/{c.rounds} rounds (N={c.n}, {c.delay_ms} ms)" for c in polled)
        or "no rounds",
    )
    return [heartbeat, rate, rounds]


def _mark(met: bool | None) -> str:
    return {True: "met", False: "MISSED", None: "not measured"}[met]


def print_table(cells: Sequence[Cell], labels: dict[str, str], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title="Launch throughput: farflow vs the Amazon provider's ECS executor")
    for name in COLUMNS:
        table.add_column(name, justify="left" if name == "executor" else "right", no_wrap=name == "executor")
    for row in build_rows(cells, labels):
        table.add_row(*row.cells, style=row.style or None)
    console.print(table)
    for what, met, evidence in targets(cells):
        colour = {True: "green", False: "red", None: "yellow"}[met]
        console.print(f"[{colour}]{_mark(met)}[/]: {what} - {evidence}")


def airflow_version() -> str:
    try:
        return importlib.metadata.version("apache-airflow-core")
    except importlib.metadata.PackageNotFoundError:
        return importlib.metadata.version("apache-airflow")


def machine() -> str:
    system = f"{platform.system()} {platform.machine()}"
    return f"{system}, {os.cpu_count()} CPU cores, Python {platform.python_version()}"


def commit() -> str:
    """The commit measured, so a table names the code it describes ("+ local changes" if the tree is not
    clean); "unknown" outside a git checkout."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"`{head}`" + (" + local changes" if dirty.strip() else "")


def markdown(
    cells: Sequence[Cell], labels: dict[str, str], command: str, legend: Sequence[str], notes: Sequence[str]
) -> str:
    rows = build_rows(cells, labels)
    lines = [
        "# Benchmark: launch throughput",
        "",
        "The executors, side by side in one run: " + "; ".join(legend) + ".",
        "",
        f"- Command: `{command}`",
        f"- Machine: {machine()} (shared with other work; compare within one run, as ratios)",
        f"- Date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Commit: {commit()}",
        f"- Airflow {airflow_version()}",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(COLUMNS))) + "|",
    ]
    for row in rows:
        cells_text = [f"**{c}**" if row.style and c else c for c in row.cells]
        lines.append("| " + " | ".join(cells_text) + " |")
    lines += ["", "## Targets (farflow)", ""]
    lines += [f"- {_mark(met)}: {what} ({evidence})" for what, met, evidence in targets(cells)]
    lines += ["", "## How it is measured", ""]
    lines += [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"
