"""The running stack's record, `<project>/.farflow/stack.json`: how other farflow commands find it.

`farflow local up` (or a `run` that started its own stack) writes it when it starts, the supervisor
rewrites it when a component exits or starts again, and stop removes it. It names the farflow process by
pid and start time, so the record of a stack that was killed (no stop, no removal) is told apart from a
live one even if the pid has been reused. It holds the database URL, password included, so it is written
like secrets.json: mode 0600 in the 0700 state folder.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psutil

from farflow.local.state import StateDir
from farflow.local.supervisor import ComponentState


class StackAlreadyUp(RuntimeError):
    """A stack is already up for this project; the message says where and how to use or stop it."""


@dataclass(frozen=True)
class StackRecord:
    """What a running stack tells other commands; `phase` is `starting` until every component is healthy."""

    pid: int
    pid_started: float  # the farflow process's start time (psutil), so a reused pid does not count
    project: str
    api_port: int
    started_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    phase: str = "starting"
    api_url: str = ""
    ui_url: str = ""
    endpoint_url: str = ""
    region: str = "us-east-1"
    stack_id: str = ""
    database: str = ""  # a label, without any password
    database_url: str = ""
    database_pid: int | None = None  # the embedded PostgreSQL's postmaster
    cluster: str = ""
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    dags_bucket: str = ""  # the DAG bundle's bucket on the endpoint (`farflow local up --dag-bundle`)
    components: dict[str, ComponentState] = field(default_factory=dict)

    def with_(self, **changes: Any) -> StackRecord:
        return replace(self, **changes)

    @classmethod
    def for_this_process(cls, project: Path, api_port: int) -> StackRecord:
        pid = os.getpid()
        return cls(
            pid=pid, pid_started=psutil.Process(pid).create_time(), project=str(project), api_port=api_port
        )


def is_alive(record: StackRecord) -> bool:
    """True while the process that wrote the record runs (same pid and the same start time)."""
    try:
        return abs(psutil.Process(record.pid).create_time() - record.pid_started) < 1.0
    except psutil.Error:
        return False


def _to_json(record: StackRecord) -> str:
    return json.dumps(asdict(record), indent=2) + "\n"


def _from_json(text: str) -> StackRecord | None:
    try:
        raw = json.loads(text)
        components = {name: ComponentState(**value) for name, value in raw.pop("components", {}).items()}
        raw["subnets"] = tuple(raw.get("subnets", ()))
        raw["security_groups"] = tuple(raw.get("security_groups", ()))
        return StackRecord(**raw, components=components)
    except (ValueError, TypeError, AttributeError):
        return None


def read(state: StateDir) -> StackRecord | None:
    """The record in the state folder, if there is a readable one (live or stale)."""
    try:
        return _from_json(state.stack_file.read_text())
    except OSError:
        return None


def running(state: StateDir) -> StackRecord | None:
    """The record of the stack that is up for this project, if one is."""
    record = read(state)
    return record if record is not None and is_alive(record) else None


DEFAULT_API_URL = "http://127.0.0.1:8080"  # `farflow local up`'s default port


def local_api_url(project: Path) -> str:
    """The api-server of the stack that is up for `project` (on whatever port it was given), else the
    address `farflow local up` listens on by default."""
    record = running(StateDir.for_project(project.expanduser()))
    return record.api_url if record is not None and record.api_url else DEFAULT_API_URL


def already_up_message(record: StackRecord) -> str:
    where = record.ui_url or f"port {record.api_port}"
    return (
        f"A local stack is already up for {record.project} (farflow pid {record.pid}, {where}, "
        f"{record.phase} since {record.started_at}). Use it with `farflow local run DAG_ID`, "
        f"`farflow local airflow ...` or `farflow local status` (--project {record.project}), or stop it "
        f"first: Ctrl-C in its terminal, or `kill {record.pid}`."
    )


def claim(state: StateDir, record: StackRecord) -> None:
    """Write the first record, atomically refusing if a live stack has one; a stale record is replaced."""
    state.root.mkdir(parents=True, exist_ok=True)
    os.chmod(state.root, 0o700)
    for _attempt in range(2):
        try:
            descriptor = os.open(state.stack_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            existing = read(state)
            if existing is not None and is_alive(existing):
                raise StackAlreadyUp(already_up_message(existing)) from None
            state.stack_file.unlink(missing_ok=True)  # a killed stack's
            continue
        with os.fdopen(descriptor, "w") as file:
            file.write(_to_json(record))
        return
    raise StackAlreadyUp(f"Another farflow is starting a stack for {record.project} right now.")


def update(state: StateDir, record: StackRecord) -> None:
    """Replace the record atomically (readers never see half a file), mode 0600."""
    temporary = state.stack_file.with_name(f".stack.{os.getpid()}.json")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(_to_json(record))
    os.replace(temporary, state.stack_file)


def release(state: StateDir) -> None:
    """Remove the record if it is this process's."""
    record = read(state)
    if record is not None and record.pid == os.getpid():
        with contextlib.suppress(OSError):
            state.stack_file.unlink()
