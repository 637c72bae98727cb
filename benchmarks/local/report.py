"""The benchmark's figures: raw measurements per variant, merged over rounds, summed up in one table."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from benchmarks.local.timing import SEGMENTS, Hop, median

Raw = dict[str, list[Any]]  # what one variant measured; every value a list, so rounds concatenate
# hops, first: Hop dicts; runs: per stack, its sample_dag runs' seconds; runs_ok: per run; worker: seconds;
# demo: wall seconds (None: failed) of each demo but the first, which builds the metadata database template
# and goes to demo_first; demo_reported: the demo's own figure; fanout: FanoutRun dicts;
# startup: per stack, seconds per start-up step; load: the 1-minute load average before and after
KEYS = (
    "hops",
    "first",
    "runs",
    "runs_ok",
    "worker",
    "demo",
    "demo_first",
    "demo_reported",
    "fanout",
    "startup",
    "load",
)
FORK, SPAWN = "fork", "spawn"


def empty() -> Raw:
    return {key: [] for key in KEYS}


def hop_dicts(hops: Sequence[Hop]) -> list[dict[str, Any]]:
    return [asdict(item) for item in hops]


def merge(raws: Sequence[Raw]) -> Raw:
    merged = empty()
    for raw in raws:
        for key in KEYS:
            merged[key].extend(raw.get(key, []))
    return merged


def _totals(raw: Raw, key: str) -> list[float]:
    return [float(item["total"]) for item in raw[key]]


def _segment(raw: Raw, key: str, name: str) -> float | None:
    return median([value for item in raw[key] if (value := item["segments"].get(name)) is not None])


def _worst(values: Sequence[float]) -> float | None:
    return max(values) if values else None


def _startup(raw: Raw, step: str) -> float | None:
    return median([float(steps[step]) for steps in raw["startup"] if steps.get(step) is not None])


def _demo(raw: Raw, key: str = "demo") -> float | None:
    """The median wall time, or None if any demo failed."""
    return None if None in raw[key] else median(raw[key])


def _fanout(raw: Raw) -> float | None:
    done = [item["seconds"] for item in raw["fanout"] if item["succeeded"] == item["n"]]
    return median(done) if len(done) == len(raw["fanout"]) else None  # None if any run did not finish


Row = tuple[str, str, Callable[[Raw], float | None], float | None]
ROWS: list[Row] = [
    (
        "hop: upstream end -> next farflow task start, median",
        "≤ 1.5",
        lambda r: median(_totals(r, "hops")),
        1.5,
    ),
    ("hop: worst", "≤ 2", lambda r: _worst(_totals(r, "hops")), 2.0),
    *[(f"  hop: {name}", "", lambda r, name=name: _segment(r, "hops", name), None) for name in SEGMENTS],
    ("trigger -> first task running, median", "≤ 3", lambda r: median(_totals(r, "first")), 3.0),
    ("trigger -> first task running, worst", "", lambda r: _worst(_totals(r, "first")), None),
    *[(f"  first: {name}", "", lambda r, name=name: _segment(r, "first", name), None) for name in SEGMENTS],
    (
        "sample_dag run on a fresh stack (the demo's), median",
        "≤ 12",
        lambda r: median([runs[0] for runs in r["runs"] if runs]),
        12.0,
    ),
    (
        "sample_dag run, later runs, median",
        "",
        lambda r: median([v for runs in r["runs"] for v in runs[1:]]),
        None,
    ),
    ("farflow demo wall time, median", "≤ 45", _demo, 45.0),
    ("farflow demo, the first (builds the database template)", "", lambda r: _demo(r, "demo_first"), None),
    ("N one-second tasks triggered at once: all done", "≤ 90", _fanout, 90.0),
    ("LocalExecutor hop (worker), median, for reference", "", lambda r: median(r["worker"]), None),
    ("start-up: database template build", "", lambda r: _startup(r, "database template build"), None),
    ("start-up: database start", "", lambda r: _startup(r, "database start"), None),
    ("start-up: endpoint + seed", "", lambda r: _startup(r, "endpoint + seed"), None),
    ("start-up: airflow db migrate", "", lambda r: _startup(r, "airflow db migrate"), None),
    ("start-up: components until healthy", "", lambda r: _startup(r, "components healthy"), None),
    ("start-up: execution API warm-up + DAGs parsed", "", lambda r: _startup(r, "DAGs parsed"), None),
]


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def ratio(new: float | None, old: float | None) -> str:
    return "-" if new is None or old is None or old == 0 else f"{new / old:.2f}"


def table(columns: Mapping[str, Raw]) -> list[list[str]]:
    """Rows of cells: each metric for each variant, fork's ratio to every other variant, and whether fork
    meets the target."""
    names = list(columns)
    others = [name for name in names if name != FORK] if FORK in columns else []
    header = ["metric", "target", *names, *[f"fork/{name}" for name in others]]
    if FORK in columns:
        header.append("met (fork)")
    rows = [header]
    for title, target, read, limit in ROWS:
        values = {name: read(raw) for name, raw in columns.items()}
        row = [title, target, *[fmt(values[name]) for name in names]]
        row += [ratio(values[FORK], values[name]) for name in others]
        if FORK in columns:
            fork = values[FORK]
            row.append(
                ""
                if limit is None
                else "no (not measured)"
                if fork is None
                else "yes"
                if fork <= limit
                else "no"
            )
        rows.append(row)
    return rows


def markdown(rows: list[list[str]]) -> str:
    """A Markdown table, padded so it reads as one in a terminal too."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        lines.append(
            "| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |"
        )
        if index == 0:
            lines.append("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)


def details(columns: Mapping[str, Raw]) -> str:
    """The raw figures behind the medians, per variant."""
    lines = []
    for name, raw in columns.items():
        lines.append(
            f"{name}: hops {[round(v, 2) for v in _totals(raw, 'hops')]} "
            f"({sum(1 for item in raw['hops'] if item['forked'])} forked); "
            f"first tasks {[round(v, 2) for v in _totals(raw, 'first')]}; sample runs {raw['runs']}; "
            f"demos {raw['demo_first']} then {raw['demo']}; N tasks {[(f['succeeded'], f['n'], round(f['seconds'], 1)) for f in raw['fanout']]}; "
            f"load average {raw['load']}"
        )
    return "\n".join(lines)
