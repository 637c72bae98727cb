"""Whether a DAG id names a DAG the dag-processor has loaded from the dags folder as it is now, and if
not, why not in one short block: its file's import error, or that no file defines it (listing the DAG
ids that do exist).

Airflow keeps a DAG's record after its file is broken, deleted or no longer defines it: a file that
fails to import marks its DAGs `has_import_errors` and `is_stale` (and triggering one answers 404), and
a DAG that left its file is marked stale only a minute or so later (`stale_dag_threshold`). So the
judgement compares times: a file is *parsed* once a parse that began after the file's last change wrote
a DAG record or an import error of it, and a DAG of a parsed file that this parse did not write has
left the file. Airflow stamps what it writes after the parse (`last_parsed_time`; the parse began
`last_parse_duration` earlier), and a file saved while a parse was under way is not what that parse
read: so a record counts from its parse's start, and an import error (stamped without a duration) from
WRITE_LAG before its stamp.

Once every file that may hold DAGs (by Airflow's own heuristic: it mentions "airflow" and "dag" or
"asset") is parsed, an id that no current DAG has is unknown, and the answer comes at once instead of
after a timeout. A file that may hold DAGs but defines none is never reported by Airflow, so with one in
the folder an unknown id is reported only when the wait times out. `.airflowignore` is not read: a file
it hides counts as one that defines no DAG.

The decision (`judge`) is a pure function of the records, the import errors and the folder, so tests
drive it without a stack.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

QUOTED_TRACE_LINES = 6
# Seconds between a parse's end and Airflow's write of its result (the dag-processor's manager collects
# results in its loop), allowed for on top of the parse's own duration.
WRITE_LAG = 1.0
LISTED_DAGS = 20
MAX_READ = 1 << 20  # bytes of a file read for the heuristic and for the DAG id (Airflow reads all)


@dataclass(frozen=True)
class DagRecord:
    """A DAG as the api-server lists it (stale ones included)."""

    dag_id: str
    file: str  # relative to the dags folder (Airflow's relative_fileloc)
    stale: bool = False
    import_errors: bool = False
    parsed_at: float | None = None  # when the parse that wrote it began (seconds since the epoch)

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> DagRecord:
        return cls(
            dag_id=str(raw["dag_id"]),
            file=str(raw.get("relative_fileloc") or raw.get("fileloc") or ""),
            stale=bool(raw.get("is_stale")),
            import_errors=bool(raw.get("has_import_errors")),
            parsed_at=_began(epoch(raw.get("last_parsed_time")), raw.get("last_parse_duration")),
        )


@dataclass(frozen=True)
class ImportFailure:
    """One file's import error as the api-server lists it."""

    file: str  # relative to the dags folder
    at: float | None  # about when the parse that last wrote it began (each parse rewrites it)
    trace: str

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> ImportFailure:
        at = _began(epoch(raw.get("timestamp")), None)
        return cls(str(raw.get("filename", "")), at, str(raw.get("stack_trace", "")))


def _began(written: float | None, duration: object) -> float | None:
    """When the parse that wrote a record at `written` began, at the latest: its duration and the
    manager's lag before the write."""
    if written is None:
        return None
    return written - (float(duration) if isinstance(duration, (int, float)) else 0.0) - WRITE_LAG


def epoch(text: object) -> float | None:
    """An API timestamp (ISO 8601) as seconds since the epoch; None if absent or unreadable."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


@dataclass(frozen=True)
class DagFolder:
    """The dags folder now: each file's modification time, and the text of those that may hold DAGs."""

    root: Path
    mtimes: Mapping[str, float] = field(default_factory=dict)
    texts: Mapping[str, str] = field(default_factory=dict)  # the files Airflow's heuristic would parse

    @classmethod
    def scan(cls, root: Path) -> DagFolder:
        mtimes: dict[str, float] = {}
        texts: dict[str, str] = {}
        for directory, folders, files in os.walk(root):
            folders[:] = sorted(f for f in folders if not f.startswith(".") and f != "__pycache__")
            for name in files:
                path = Path(directory) / name
                relative = path.relative_to(root).as_posix()
                try:
                    mtimes[relative] = path.stat().st_mtime
                    if name.endswith(".py"):
                        with path.open("rb") as file:
                            content = file.read(MAX_READ)
                        if might_hold_dags(content):
                            texts[relative] = content.decode(errors="replace")
                except OSError:
                    continue
        return cls(root, mtimes, texts)

    def mtime(self, file: str) -> float | None:
        """The file's mtime; for a DAG inside a zip archive (`a.zip/b.py`), the archive's. None: gone."""
        path = file
        while path:
            if path in self.mtimes:
                return self.mtimes[path]
            path = path.rpartition("/")[0]
        return None

    def parsed(self, file: str, at: float | None) -> bool:
        """Whether something written at `at` was written after the file's last change."""
        changed = self.mtime(file)
        return at is not None and changed is not None and at >= changed

    def shown(self, file: str) -> str:
        return str(self.root / file)


def might_hold_dags(content: bytes) -> bool:
    """Airflow's safe-mode heuristic (airflow.utils.file.might_contain_dag_via_default_heuristic): only
    such files are parsed at all."""
    lowered = content.lower()
    return b"airflow" in lowered and (b"dag" in lowered or b"asset" in lowered)


@dataclass(frozen=True)
class Found:
    record: DagRecord


@dataclass(frozen=True)
class NotFound:
    message: str


def judge(
    dag_id: str,
    records: Sequence[DagRecord],
    failures: Sequence[ImportFailure],
    folder: DagFolder | None,
    hint: str | None = None,
) -> Found | NotFound | None:
    """Found: trigger it. NotFound: the one message to show. None: the dag-processor has not parsed what
    decides it yet (ask again). Without a folder only the records decide, and an unknown id waits."""
    record = next((r for r in records if r.dag_id == dag_id), None)
    if record is not None and _current(record, folder):
        return Found(record)
    failed = {failure.file: failure for failure in failures}
    for file in _suspects(dag_id, record, folder, hint):
        failure = failed.get(file)
        if failure is None:
            continue
        if folder is None or folder.parsed(file, failure.at):
            return NotFound(import_failure_message(dag_id, [failure], folder))
        if folder.mtime(file) is not None:
            return None  # changed since it failed (fixed, perhaps): wait for the next parse
    if folder is None:
        return None
    if record is not None and folder.mtime(record.file) is None:
        return NotFound(
            f"DAG {dag_id!r} was defined in {folder.shown(record.file)}, which no longer exists. "
            + existing_dags(dag_id, records, failures, folder)
        )
    if unparsed(records, failures, folder):
        return None
    if record is not None:
        return NotFound(
            f"DAG {dag_id!r} is no longer defined in {folder.shown(record.file)} (renamed or removed). "
            + existing_dags(dag_id, records, failures, folder)
        )
    return NotFound(
        f"No DAG {dag_id!r} in {folder.root}. " + existing_dags(dag_id, records, failures, folder)
    )


def _current(record: DagRecord, folder: DagFolder | None) -> bool:
    """Loaded from the file as it is now (or, without a folder, simply loaded)."""
    if record.stale or record.import_errors:
        return False
    return folder is None or folder.parsed(record.file, record.parsed_at)


def _suspects(dag_id: str, record: DagRecord | None, folder: DagFolder | None, hint: str | None) -> list[str]:
    """Files whose import error would explain a missing `dag_id`: its record's, the caller's hint, and any
    that may define it (a DAG never loaded has no record naming its file)."""
    files = [file for file in (record.file if record else None, hint) if file]
    if folder is not None:
        files += [
            file for file, text in folder.texts.items() if may_define(text, dag_id) and file not in files
        ]
    return files


def may_define(text: str, dag_id: str) -> bool:
    """Whether source text names `dag_id` as a DAG can be named: a string literal ("etl", 'etl'), or a
    function a `@dag` decorator names the DAG after. A mere word in a comment does not count."""
    name = re.escape(dag_id)
    return re.search(rf"""(["']){name}\1|\bdef\s+{name}\s*\(""", text) is not None


def unparsed(records: Sequence[DagRecord], failures: Sequence[ImportFailure], folder: DagFolder) -> list[str]:
    """Files that may hold DAGs for which Airflow has written nothing since their last change."""
    written: dict[str, list[float | None]] = {}
    for record in records:
        written.setdefault(record.file, []).append(record.parsed_at)
    for failure in failures:
        written.setdefault(failure.file, []).append(failure.at)
    return sorted(
        file for file in folder.texts if not any(folder.parsed(file, at) for at in written.get(file, []))
    )


def current_ids(records: Iterable[DagRecord], folder: DagFolder | None) -> list[str]:
    return sorted(record.dag_id for record in records if _current(record, folder))


def existing_dags(
    dag_id: str, records: Sequence[DagRecord], failures: Sequence[ImportFailure], folder: DagFolder | None
) -> str:
    """The sentence that lists the DAG ids there are (a close match first), and the files that fail."""
    ids = current_ids(records, folder)
    close = difflib.get_close_matches(dag_id, ids, n=1)
    parts = [f"Did you mean {close[0]!r}?"] if close else []
    if ids:
        shown = ", ".join(ids[:LISTED_DAGS]) + (
            f" and {len(ids) - LISTED_DAGS} more" if len(ids) > LISTED_DAGS else ""
        )
        parts.append(f"DAGs there: {shown}.")
    else:
        parts.append("Airflow has loaded no DAG there.")
    broken = sorted(
        failure.file for failure in failures if folder is None or folder.mtime(failure.file) is not None
    )
    if broken:
        names = ", ".join(folder.shown(f) if folder else f for f in broken)
        parts.append(f"Files that fail to import (their DAGs are not listed): {names}.")
    return " ".join(parts)


def import_failure_message(
    dag_id: str | None, failures: Sequence[ImportFailure], folder: DagFolder | None
) -> str:
    """One short block: which DAG failed to import, each file, and the last lines of its traceback."""
    parts = []
    for failure in failures:
        trace = failure.trace.strip().splitlines()
        name = folder.shown(failure.file) if folder is not None else failure.file
        parts.append(f"{name}:\n    " + "\n    ".join(trace[-QUOTED_TRACE_LINES:]))
    what = f"DAG {dag_id!r} failed to import" if dag_id else "A DAG file failed to import"
    return f"{what}. Fix the file and run again:\n" + "\n".join(parts)
