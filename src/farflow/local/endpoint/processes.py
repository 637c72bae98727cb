"""Container processes: start one in its own process group, signal it with everything it started,
measure its memory, and pump its output (stdout and stderr, merged as the awslogs driver does) line by
line to a sink.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import psutil

from farflow.local.endpoint import logs

Events = list[dict[str, Any]]


def spawn(argv: tuple[str, ...], cwd: Path, env: Mapping[str, str], capture: bool) -> subprocess.Popen[bytes]:
    """Start the command as a new session (and process group) whose leader's pid is the group id."""
    output = subprocess.PIPE if capture else subprocess.DEVNULL
    return subprocess.Popen(
        argv,
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        close_fds=True,
    )


def signal_group(group: int, signum: int) -> None:
    """Signal every process in the group; a group that is already gone is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signum)


def signal_container(group: int, members: Iterable[psutil.Process], signum: int) -> None:
    """Signal the container's process group and every process known to have descended from it.

    The group alone is not enough: Airflow's task supervisor moves its task runner into a group of its
    own, and a container's processes all die with it whatever their group.
    """
    signal_group(group, signum)
    for member in members:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
            member.send_signal(signum)  # psutil checks the pid has not been reused


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []


@dataclass(frozen=True)
class TreeSample:
    memory: int  # bytes: proportional set size where the OS reports it (forked pages count once), else RSS
    members: list[psutil.Process]  # the root's descendants


def sample_trees(roots: Collection[int]) -> dict[int, TreeSample]:
    """Memory and descendants of each root process, from one scan of the process table."""
    if not roots:
        return {}
    children: defaultdict[int, list[int]] = defaultdict(list)
    for process in psutil.process_iter(["ppid"]):
        children[process.info["ppid"]].append(process.pid)
    samples: dict[int, TreeSample] = {}
    for root in roots:
        memory, members, stack, seen = 0, [], [root], set()
        while stack:
            pid = stack.pop()
            if pid in seen:
                continue
            seen.add(pid)
            try:
                process = psutil.Process(pid)
                memory += _memory(process)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            if pid != root:
                members.append(process)
            stack.extend(children.get(pid, ()))
        samples[root] = TreeSample(memory, members)
    return samples


def _memory(process: psutil.Process) -> int:
    try:
        info = process.memory_full_info()
    except psutil.AccessDenied:
        return int(process.memory_info().rss)
    return int(getattr(info, "pss", info.rss))


def pump(stream: IO[bytes], sink: Callable[[Events], object], on_eof: Callable[[], None]) -> None:
    """Forward each non-empty line to `sink` as a log event until the stream ends, then call `on_eof`."""
    try:
        for raw in iter(lambda: stream.readline(logs.MAX_EVENT_BYTES), b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if line:
                sink([logs.event(line)])
    finally:
        stream.close()
        on_eof()
