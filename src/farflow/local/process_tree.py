"""Process trees: the one place that starts a child in a session of its own, finds what it started, and
signals, measures or ends all of it. The local stack's components and the endpoint's containers both
use it.

A process group is not enough to find a tree: Airflow's task supervisor moves its task runner into a
group of its own, and a process keeps its session (not its parent) when its parent dies. So the helpers
work on a leader's group plus every process seen descending from it, and `sweep` on whole sessions and
an environment marker.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psutil

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def start_session(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | None,
    stdout: int | IO[bytes],
    die_with_parent: bool = False,
    pass_fds: Collection[int] = (),
) -> subprocess.Popen[bytes]:
    """Start `argv` as the leader of a new session and process group (whose id is its pid), stdin
    closed and stderr merged into `stdout`, no other fds but `pass_fds`. With `die_with_parent`, on
    Linux the kernel SIGTERMs it when this process dies, even by SIGKILL."""
    return subprocess.Popen(
        list(argv),
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        pass_fds=tuple(pass_fds),
        preexec_fn=_die_with_parent if die_with_parent else None,  # noqa: PLW1509 - main thread only
    )


def tree(pid: int) -> list[psutil.Process]:
    """A process and all its descendants (empty if it is gone)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []


def descendants(pid: int) -> list[psutil.Process]:
    """Every process a process started, and they started (empty if it is gone)."""
    return tree(pid)[1:]


def signal_group(group: int, signum: int) -> None:
    """Signal every process in the group; a group that is already gone is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signum)


def signal_each(members: Iterable[psutil.Process], signum: int) -> None:
    for member in members:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
            member.send_signal(signum)  # psutil checks the pid has not been reused


def signal_tree(group: int, members: Iterable[psutil.Process], signum: int) -> None:
    """Signal a leader's process group and every process known to have descended from it that moved to a
    group of its own: each process once. (Airflow's components and task supervisor take a second
    SIGTERM as "exit now", skipping their shutdown: a scheduler would not stop its executor's workers.)"""
    signal_group(group, signum)
    signal_each(outside_group(members, group), signum)


def outside_group(members: Iterable[psutil.Process], group: int) -> list[psutil.Process]:
    """The members that are not in process group `group` (gone ones are left out)."""
    outside = []
    for member in members:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.getpgid(member.pid) != group:
                outside.append(member)
    return outside


def terminate_tree(members: Sequence[psutil.Process], grace: float) -> None:
    """SIGTERM every member, wait up to `grace` seconds, then SIGKILL whatever is left and reap it."""
    signal_each(members, signal.SIGTERM)
    alive = wait_gone(members, grace)
    signal_each(alive, signal.SIGKILL)
    wait_gone(alive, 5)


def wait_gone(members: Sequence[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait up to `timeout` seconds for the members to exit; those still running. An exited member whose
    parent died is a zombie until init reaps it, which may take a while: it counts as gone, so a stop is
    not held for the full grace by processes that have already ended. This process's own children are
    reaped on the way."""
    deadline = time.monotonic() + timeout
    while True:
        psutil.wait_procs(members, timeout=0)  # reaps any of them that is this process's exited child
        alive = [member for member in members if _running(member)]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))


def _running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@dataclass(frozen=True)
class TreeSample:
    memory: int  # bytes: the resident set size of the root and its descendants (shared pages in each)
    members: list[psutil.Process]  # the root's descendants
    root: psutil.Process | None = None

    def proportional_memory(self) -> int:
        """The tree's proportional set size (pages shared with other processes count as a share of them,
        so what a forked child shares with its parent counts once), where the OS reports it, else its
        resident set size. At most `memory`, and dearer to read: ask only when `memory` is over a limit."""
        processes = [*([self.root] if self.root is not None else []), *self.members]
        total = 0
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                total += _proportional(process)
        return total


def sample_trees(roots: Collection[int]) -> dict[int, TreeSample]:
    """Resident memory and descendants of each root process, from one scan of the process table."""
    if not roots:
        return {}
    children: defaultdict[int, list[int]] = defaultdict(list)
    for process in psutil.process_iter(["ppid"]):
        children[process.info["ppid"]].append(process.pid)
    samples: dict[int, TreeSample] = {}
    for root in roots:
        memory, members, stack, seen, top = 0, [], [root], set(), None
        while stack:
            pid = stack.pop()
            if pid in seen:
                continue
            seen.add(pid)
            try:
                process = psutil.Process(pid)
                memory += int(process.memory_info().rss)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            if pid != root:
                members.append(process)
            else:
                top = process
            stack.extend(children.get(pid, ()))
        samples[root] = TreeSample(memory, members, top)
    return samples


def _proportional(process: psutil.Process) -> int:
    try:
        info = process.memory_full_info()
    except psutil.AccessDenied:
        return int(process.memory_info().rss)
    return int(getattr(info, "pss", info.rss))


def sessions(members: Sequence[psutil.Process]) -> set[int]:
    """The session ids of `members`, without this process's own session."""
    found = set()
    for member in members:
        with contextlib.suppress(OSError):
            found.add(os.getsid(member.pid))
    found.discard(os.getsid(0))
    return found


def in_sessions(session_ids: set[int]) -> list[psutil.Process]:
    """Every live process in one of the sessions; a process keeps its session when its parent dies.
    A zombie has already exited and only waits for its parent (or init) to reap it: not counted."""
    found = []
    for process in psutil.process_iter():
        with contextlib.suppress(OSError, psutil.Error):
            if process.pid == os.getpid() or os.getsid(process.pid) not in session_ids:
                continue
            if _running(process):
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
