"""Child processes the local stack owns: start with their output in a log file, stop with their whole tree.

Each component runs in its own session (so a Ctrl-C in the terminal reaches only farflow, which then
stops everything in order) and, on Linux, asks the kernel to SIGTERM it if farflow itself dies, so even
a `kill -9` of farflow leaves no Airflow process behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeVar

import psutil

T = TypeVar("T")
_PR_SET_PDEATHSIG = 1


class ProcessFailed(RuntimeError):
    """A process the stack needs exited or never became ready; the message names it and its log."""


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class ManagedProcess:
    """One started process and the log its output goes to."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        return tail(self.log_path, lines)


def tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log file (empty if it does not exist)."""
    try:
        with path.open("rb") as file:
            file.seek(0, os.SEEK_END)
            file.seek(max(0, file.tell() - 16384))
            text = file.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def start(
    name: str, argv: Sequence[str], env: Mapping[str, str], log_path: Path, cwd: Path | None = None
) -> ManagedProcess:
    """Start `argv` in its own session, stdout and stderr appended to `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("ab")
    try:
        popen = subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - started from the main thread only
        )
    except BaseException:
        log.close()
        raise
    return ManagedProcess(name, popen, log_path, log)


def run(name: str, argv: Sequence[str], env: Mapping[str, str], log_path: Path, timeout: float) -> None:
    """Run a command to completion; raise ProcessFailed naming its log if it fails or overruns."""
    process = start(name, argv, env, log_path)
    try:
        code = process.popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop([process])
        raise ProcessFailed(f"{name} did not finish within {timeout:.0f}s; see {log_path}.") from None
    finally:
        _close(process)
    if code != 0:
        raise ProcessFailed(f"{name} failed (exit code {code}); see {log_path}:\n{process.log_tail()}")


def _close(process: ManagedProcess) -> None:
    if process._log is not None:
        process._log.close()
        process._log = None


def tree(pid: int) -> list[psutil.Process]:
    """A process and all its descendants (empty if it is gone)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def terminate_tree(members: Sequence[psutil.Process], grace: float) -> None:
    """SIGTERM every member, wait up to `grace` seconds, then SIGKILL whatever is left and reap it."""
    for member in members:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            member.terminate()
    _, alive = psutil.wait_procs(members, timeout=grace)
    for member in alive:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            member.kill()
    psutil.wait_procs(alive, timeout=5)


def stop(processes: Sequence[ManagedProcess], grace: float = 15.0) -> None:
    """Stop processes one after another (in the order given), each with every process it started."""
    for process in processes:
        members = tree(process.pid)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            # Its session's group too: grandchildren that were re-parented away from the tree.
            os.killpg(process.pid, signal.SIGTERM)
        terminate_tree(members, grace)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.popen.wait(timeout=5)
        _close(process)


def sessions(members: Sequence[psutil.Process]) -> set[int]:
    """The session ids of `members`, without this process's own session."""
    found = set()
    for member in members:
        with contextlib.suppress(OSError):
            found.add(os.getsid(member.pid))
    found.discard(os.getsid(0))
    return found


def in_sessions(session_ids: set[int]) -> list[psutil.Process]:
    """Every process in one of the sessions; a process keeps its session when its parent dies."""
    found = []
    for process in psutil.process_iter():
        with contextlib.suppress(OSError):
            if process.pid != os.getpid() and os.getsid(process.pid) in session_ids:
                found.append(process)
    return found


def marked(key: str, value: str) -> list[psutil.Process]:
    """Every process whose environment has key=value, except this one. (A process that retitles
    itself with setproctitle, as Airflow's do, overwrites its environment block: see `in_sessions`.)"""
    found = []
    for process in psutil.process_iter():
        if process.pid == os.getpid():
            continue
        with contextlib.suppress(psutil.Error, OSError):
            if process.environ().get(key) == value:
                found.append(process)
    return found


def sweep(session_ids: set[int], key: str, value: str, grace: float = 5.0) -> list[int]:
    """End every process still in `session_ids` or marked key=value; return their pids. The last line
    of defence against processes that escaped their tree, e.g. the Airflow task runner (which moves to
    its own process group) of a container whose group was SIGKILLed."""
    leftovers = {process.pid: process for process in in_sessions(session_ids) + marked(key, value)}
    terminate_tree(list(leftovers.values()), grace)
    return sorted(leftovers)


def wait_for(
    check: Callable[[], T | None],
    *,
    timeout: float,
    what: str,
    interval: float = 0.5,
    watch: Sequence[ManagedProcess] = (),
) -> T:
    """Poll `check` until it returns something other than None; fail fast if a watched process exits."""
    deadline = time.monotonic() + timeout
    while True:
        for process in watch:
            if not process.alive():
                raise ProcessFailed(
                    f"{process.name} exited (code {process.popen.returncode}) while waiting for {what}; "
                    f"see {process.log_path}:\n{process.log_tail()}"
                )
        result = check()
        if result is not None:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"Timed out after {timeout:.0f}s waiting for {what}.")
        time.sleep(interval)
