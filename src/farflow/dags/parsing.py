"""Whether the dag-processor has parsed a push, judged from Airflow's REST API alone (its clock, S3's).

The wait covers the pushed files that define a DAG (by their text, or because a DAG came from them
before) and the deleted files a DAG came from: a pushed file is parsed once a DAG from it was parsed, or
an import error was recorded for it, after both the push and its last parse before the push; a deleted
file once no active DAG and no import error names it. A helper module defines no DAG and is not waited
for; the dag-processor parses the DAG files that import it again within `[dag_processor]
min_file_process_interval`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from farflow.dags.plan import SyncPlan

# A DAG defined in the file itself: `DAG(`, `with DAG(...)`, or the `@dag` decorator.
_DEFINES_DAG = re.compile(rb"\bDAG\s*\(|@dag\b|\bdag\s*\(", re.IGNORECASE)
# Lines of an import error's trace shown per file.
TRACE_LINES = 3


@dataclass(frozen=True)
class ParsedDag:
    dag_id: str
    fileloc: str
    last_parsed: datetime | None
    file_token: str = ""


@dataclass(frozen=True)
class ParseError:
    fileloc: str
    timestamp: datetime
    trace: str


@dataclass(frozen=True)
class Snapshot:
    """What the API says about one bundle at one moment."""

    dags: tuple[ParsedDag, ...]
    errors: tuple[ParseError, ...]

    def last_seen(self, fileloc: str) -> datetime | None:
        times = [dag.last_parsed for dag in self.dags if dag.fileloc == fileloc and dag.last_parsed]
        times += [error.timestamp for error in self.errors if error.fileloc == fileloc]
        return max(times, default=None)

    def filelocs(self) -> set[str]:
        return {dag.fileloc for dag in self.dags} | {error.fileloc for error in self.errors}


@dataclass(frozen=True)
class Expected:
    """The files whose parse the push waits for."""

    pushed: tuple[str, ...]
    deleted: tuple[str, ...]


def defines_dag(content: bytes) -> bool:
    """Airflow's own discovery heuristic (the text holds "airflow" and "dag"), and a DAG defined here."""
    lowered = content.lower()
    return b"airflow" in lowered and b"dag" in lowered and bool(_DEFINES_DAG.search(content))


def expected(plan: SyncPlan, before: Snapshot) -> Expected:
    known = before.filelocs()
    pushed = tuple(
        file.key
        for file in plan.uploads
        if file.key.endswith(".py") and (file.key in known or defines_dag(file.path.read_bytes()))
    )
    deleted = tuple(key for key in plan.deleted if key in known)
    return Expected(pushed, deleted)


def pending(wanted: Expected, before: Snapshot, now: Snapshot, pushed_at: datetime | None) -> list[str]:
    """The files of `wanted` not parsed yet, as `now` shows them."""
    waiting = []
    for fileloc in wanted.pushed:
        floor = max(filter(None, (before.last_seen(fileloc), pushed_at)), default=None)
        seen = now.last_seen(fileloc)
        if seen is None or (floor is not None and seen <= floor):
            waiting.append(fileloc)
    gone = now.filelocs()
    waiting += [fileloc for fileloc in wanted.deleted if fileloc in gone]
    return waiting


def timestamp(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def snapshot(dags: Iterable[Mapping[str, Any]], errors: Iterable[Mapping[str, Any]], bundle: str) -> Snapshot:
    """The REST API's DAG and import error documents of `bundle`, as a Snapshot."""
    return Snapshot(
        dags=tuple(
            ParsedDag(
                str(dag["dag_id"]),
                str(dag.get("relative_fileloc") or ""),
                timestamp(dag.get("last_parsed_time")),
                str(dag.get("file_token") or ""),
            )
            for dag in dags
            if dag.get("bundle_name") == bundle
        ),
        errors=tuple(
            ParseError(
                str(error["filename"]), timestamp(error["timestamp"]) or _EPOCH, str(error["stack_trace"])
            )
            for error in errors
            if error.get("bundle_name") == bundle
        ),
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def error_block(error: ParseError) -> list[str]:
    """One import error, short: the file, then the last lines of its trace (where, and what)."""
    lines = [line.rstrip() for line in error.trace.strip().splitlines() if line.strip()]
    return [f"{error.fileloc}:", *(f"    {line.strip()}" for line in lines[-TRACE_LINES:])]


def error_report(errors: Sequence[ParseError]) -> list[str]:
    return [line for error in sorted(errors, key=lambda e: e.fileloc) for line in error_block(error)]
