"""Airflow's components (and one-off commands such as `airflow db migrate`) as child processes of the
local stack: started with their output in a log file, watched while the stack waits, stopped with their
whole tree.

Each component runs in its own session (so a Ctrl-C in the terminal reaches only farflow, which then
stops everything in order) and, on Linux, asks the kernel to SIGTERM it if farflow itself dies, so even
a `kill -9` of farflow leaves no Airflow process behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeVar

import psutil

from farflow.local.process_tree import (
    in_sessions,
    signal_each,
    signal_tree,
    start_session,
    terminate_tree,
    tree,
    wait_gone,
)
from farflow.local.state import PRIVATE_FILE, PRIVATE_FOLDER

T = TypeVar("T")
CHILD_GRACE = 2.0  # seconds what a stopped process left behind gets between SIGTERM and SIGKILL


class ProcessFailed(RuntimeError):
    """A process the stack needs exited or never became ready; the message names it and its log."""


@dataclass
class ManagedProcess:
    """One started process and the log its output goes to."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes] | None = field(default=None, repr=False)
    created: float | None = None  # the process's start time: its session id is its pid (start_session)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def exit_code(self) -> int | None:
        """Its exit code once it has exited (negative: the signal that ended it), else None."""
        return self.popen.poll()

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
    log_path.parent.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    log = os.fdopen(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE), "ab")
    os.chmod(log_path, PRIVATE_FILE)  # also a log an older farflow wrote world-readable
    try:
        popen = start_session(argv, env=env, cwd=cwd, stdout=log, die_with_parent=True)
    except BaseException:
        log.close()
        raise
    created = None
    with contextlib.suppress(psutil.Error):
        created = psutil.Process(popen.pid).create_time()  # not reaped yet: the pid is still this one
    return ManagedProcess(name, popen, log_path, log, created)


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


def stop(
    processes: Sequence[ManagedProcess], grace: float = 15.0, hurry: Mapping[str, float] | None = None
) -> None:
    """Stop processes together, each with every process it started, as ECS stops a container: SIGTERM to
    the process itself, which shuts its own children down (Airflow's scheduler ends its executor's
    workers, the triggerer its trigger runner). A process named in `hurry` that is still stopping after
    that many seconds is hurried along (see `_hurry`). What is left once the process has exited, or
    after `grace` seconds, gets one SIGTERM and CHILD_GRACE seconds; then SIGKILL. Last, whatever is
    still in a stopped process's session (`escaped`) gets the same."""
    deadline = time.monotonic() + grace
    trees = {process.pid: tree(process.pid) for process in processes}
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            process.popen.send_signal(signal.SIGTERM)
    roots = [members[0] for members in trees.values() if members]
    hurry = hurry or {}
    for after in sorted(set(hurry.values())):  # one timeline per delay; in practice there is one
        hurried = [trees[p.pid] for p in processes if hurry.get(p.name) == after and trees[p.pid]]
        _hurry(hurried, after, deadline)
    wait_gone(roots, max(0.0, deadline - time.monotonic()))
    rest = [member for members in trees.values() for member in members]
    for group, members in trees.items():  # the group reaches grandchildren re-parented away from the tree
        signal_tree(group, wait_gone(members, 0), signal.SIGTERM)
    left = wait_gone(rest, max(CHILD_GRACE, deadline - time.monotonic()))
    for group in trees:
        signal_tree(group, left, signal.SIGKILL)
    wait_gone(left, 5)
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.popen.wait(timeout=5)
        _close(process)
    end_escaped(processes)


def end_escaped(processes: Sequence[ManagedProcess]) -> list[int]:
    """SIGTERM, then after CHILD_GRACE seconds SIGKILL, whatever `escaped` each process; their pids."""
    left = [member for process in processes for member in escaped(process)]
    terminate_tree(left, CHILD_GRACE)
    return [member.pid for member in left]


def escaped(process: ManagedProcess) -> list[psutil.Process]:
    """What is still running in the session `process` led after it and its tree were stopped. A process
    keeps its session when its parent dies, while its tree and group do not reach it: the task runners
    of a SIGKILLed scheduler's LocalExecutor workers (each in a group of its own, re-parented to init)
    ran on, user code and all, until the stack had stopped. None if the pid now leads a session of
    another process (the kernel reuses a session's id only once no process is left in it)."""
    try:
        if psutil.Process(process.pid).create_time() != process.created:
            return []
    except psutil.NoSuchProcess:
        pass
    except psutil.Error:
        return []
    return in_sessions({process.pid})


def _hurry(trees: Sequence[Sequence[psutil.Process]], after: float, deadline: float) -> None:
    """Hurry processes that are slow to stop: once `after` seconds have passed since their SIGTERM, their
    children get one SIGTERM of their own (the triggerer's runner can miss its parent's SIGINT); and one
    that has had no child for `after` seconds and still runs waits for nothing and gets SIGKILL. Airflow's
    triggerer can otherwise sit out its runner's 10 s escalation in a select() on the runner's closed
    sockets (and a second SIGTERM only starts another 5 s one)."""
    began = time.monotonic()
    childless_since: dict[int, float] = {}
    children_signalled = False
    while time.monotonic() < deadline:
        now = time.monotonic()
        stopping = [members for members in trees if wait_gone(members[:1], 0)]
        if not stopping:
            return
        if not children_signalled and now - began >= after:
            children_signalled = True
            signal_each(
                [child for members in stopping for child in wait_gone(members[1:], 0)], signal.SIGTERM
            )
        for members in stopping:
            if wait_gone(members[1:], 0):
                childless_since.pop(members[0].pid, None)
            elif now - childless_since.setdefault(members[0].pid, now) >= after:
                signal_each(members[:1], signal.SIGKILL)
        time.sleep(0.1)


def check_running(watch: Iterable[ManagedProcess], waiting_for: str = "") -> None:
    """Raise ProcessFailed, quoting its log, for the first process in `watch` that has exited."""
    for process in watch:
        if not process.alive():
            during = f" while waiting for {waiting_for}" if waiting_for else ""
            raise ProcessFailed(
                f"{process.name} exited (code {process.popen.returncode}){during}; "
                f"see {process.log_path}:\n{process.log_tail()}"
            )


def wait_for(
    check: Callable[[], T | None],
    *,
    timeout: float,
    what: str,
    interval: float = 0.5,
    watch: Sequence[ManagedProcess] = (),
    guard: Callable[[], None] = lambda: None,
) -> T:
    """Poll `check` until it returns something other than None; fail fast if a watched process exits or
    `guard` raises (a running stack's `check`: its supervisor gave up on a component)."""
    deadline = time.monotonic() + timeout
    while True:
        check_running(watch, waiting_for=what)
        guard()
        result = check()
        if result is not None:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"Timed out after {timeout:.0f}s waiting for {what}.")
        time.sleep(interval)
