"""The worker entry turns ECS's SIGTERM into edge3's drain, and holds protection while jobs run.

Real processes and signals: the entry (`farflow.worker.drain.main`) runs a stand-in that answers signals
as edge3's worker does (edge_standin.py), since a real `airflow edge worker` needs an api-server (see
tests/e2e for that run).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from farflow.worker.drain import (
    DRAIN_TIMEOUT_SECONDS,
    KILL_GRACE_SECONDS,
    STOP_TIMEOUT_SECONDS,
    child_signal,
    drain_settings,
    exit_code,
)
from tests.support.ecs_agent import Agent
from tests.support.polling import wait_until

HERE = Path(__file__).parent
DEADLINE = 30.0


@pytest.mark.parametrize(
    ("received", "forwarded"),
    [(signal.SIGTERM, signal.SIGINT), (signal.SIGINT, signal.SIGINT), (signal.SIGHUP, None)],
)
def test_stop_signals_become_edge3s_drain(received: int, forwarded: int | None) -> None:
    assert child_signal(received) == forwarded


def test_the_worker_ends_its_jobs_itself_before_ecs_kills_the_container() -> None:
    assert drain_settings() == {
        "AIRFLOW__EDGE__DRAIN_TIMEOUT_SEC": str(DRAIN_TIMEOUT_SECONDS),
        "AIRFLOW__EDGE__DRAIN_KILL_GRACE_SEC": str(KILL_GRACE_SECONDS),
    }
    assert DRAIN_TIMEOUT_SECONDS + KILL_GRACE_SECONDS < STOP_TIMEOUT_SECONDS <= 120


def test_exit_codes_read_as_a_shell_reads_them() -> None:
    assert (exit_code(0), exit_code(1), exit_code(-signal.SIGKILL)) == (0, 1, 128 + signal.SIGKILL)


class Entry:
    """The entry running the stand-in in `folder` (its AIRFLOW_HOME), in a session of its own."""

    def __init__(self, folder: Path, environ: dict[str, str], command: list[str]) -> None:
        self.folder = folder
        self.process = subprocess.Popen(
            command,
            env={**environ, "AIRFLOW_HOME": str(folder), "STANDIN_OUT": str(folder / "ending")},
            start_new_session=True,
        )
        self.ready: dict[str, int] = {}

    def wait_ready(self) -> dict[str, int]:
        path = self.folder / "ready"
        self.ready = json.loads(
            wait_until(
                lambda: path.exists() and path.read_text(), what="the stand-in to start", timeout=DEADLINE
            )
        )
        return self.ready

    def ending(self) -> str:
        path = self.folder / "ending"
        return str(
            wait_until(
                lambda: path.exists() and path.read_text(), what="the stand-in to end", timeout=DEADLINE
            )
        )

    def stop(self) -> None:
        for pid in (self.process.pid, self.ready.get("pid")):
            if pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=DEADLINE)


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Entry]]:
    started: list[Entry] = []

    def starting(environ: dict[str, str] | None = None, direct: bool = False) -> Entry:
        base = {key: value for key, value in os.environ.items() if key != "ECS_AGENT_URI"}
        script = HERE / ("edge_standin.py" if direct else "run_entry.py")
        folder = tmp_path / f"run{len(started)}"
        folder.mkdir()
        entry = Entry(folder, {**base, **(environ or {})}, [sys.executable, str(script)])
        started.append(entry)
        return entry

    yield starting
    for entry in started:
        entry.stop()


def test_sigterm_to_the_entry_drains_the_worker(start: Callable[..., Entry]) -> None:
    entry = start()
    ready = entry.wait_ready()
    assert ready["session"] != os.getsid(entry.process.pid), "the worker must run in its own session"
    entry.process.send_signal(signal.SIGTERM)
    assert entry.ending() == "drained"
    assert entry.process.wait(timeout=DEADLINE) == 0


def test_sigterm_to_the_entrys_process_group_still_drains(start: Callable[..., Entry]) -> None:
    """dumb-init, the official image's init, signals its child's whole process group."""
    entry = start()
    entry.wait_ready()
    os.killpg(entry.process.pid, signal.SIGTERM)
    assert entry.ending() == "drained"
    assert entry.process.wait(timeout=DEADLINE) == 0


def test_without_the_entry_sigterm_kills_the_jobs(start: Callable[..., Entry]) -> None:
    """What ECS did before: SIGTERM straight to the worker, which ends its jobs."""
    entry = start(direct=True)
    entry.wait_ready()
    entry.process.send_signal(signal.SIGTERM)
    assert entry.ending() == "killed"
    assert entry.process.wait(timeout=DEADLINE) == 1


def test_a_busy_worker_holds_protection_until_it_drains(start: Callable[..., Entry], agent: Agent) -> None:
    entry = start({"ECS_AGENT_URI": agent.uri})
    entry.wait_ready()
    # The stand-in reports one running job: the entry protects the task at its first status poll.
    wait_until(lambda: agent.requests, what="the protection request", timeout=DEADLINE)
    path, body = agent.requests[0]
    assert path.endswith("/task-protection/v1/state")
    assert body["ProtectionEnabled"] is True
    entry.process.send_signal(signal.SIGTERM)
    assert entry.ending() == "drained"
    assert entry.process.wait(timeout=DEADLINE) == 0
