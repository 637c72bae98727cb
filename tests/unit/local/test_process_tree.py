"""Finding, signalling, measuring and sweeping process trees (real processes, no mocks)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from farflow.local import process_tree
from farflow.local.component_processes import wait_for

ENV = {"PATH": "/usr/bin:/bin"}
# A leader whose child moves into a process group of its own, as Airflow's task runner does.
LEADER = (
    "import subprocess, sys, time; "
    "subprocess.Popen([sys.executable, '-c', 'import os, time; os.setpgid(0, 0); time.sleep(600)']); "
    "time.sleep(600)"
)


@pytest.fixture
def leader(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    popen = process_tree.start_session(
        [sys.executable, "-c", LEADER], env=ENV, cwd=tmp_path, stdout=subprocess.DEVNULL
    )
    yield popen
    process_tree.sweep({popen.pid}, "FARFLOW_TEST_UNUSED", "x", grace=1)
    popen.kill()
    popen.wait()


def leader_and_child(leader: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """The leader and its child, once the child has moved to a group of its own."""

    def found() -> list[psutil.Process] | None:
        members = process_tree.tree(leader.pid)
        with contextlib.suppress(ProcessLookupError):
            if len(members) == 2 and os.getpgid(members[1].pid) != leader.pid:
                return members
        return None

    return wait_for(found, timeout=30, what="the leader's child in a group of its own", interval=0.05)


def running(process: psutil.Process) -> bool:
    """Not ended; a zombie has ended and waits for a reaper that is not this process."""
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_start_session_makes_a_session_and_group_leader(leader: subprocess.Popen[bytes]) -> None:
    assert os.getsid(leader.pid) == leader.pid
    assert os.getpgid(leader.pid) == leader.pid


def test_signal_tree_reaches_a_descendant_that_left_the_group(leader: subprocess.Popen[bytes]) -> None:
    _, child = leader_and_child(leader)
    process_tree.signal_group(leader.pid, signal.SIGKILL)
    leader.wait(timeout=10)
    assert running(child)  # the group alone missed it
    assert process_tree.tree(leader.pid) == []
    process_tree.signal_tree(leader.pid, [child], signal.SIGKILL)
    wait_for(lambda: None if running(child) else True, timeout=10, what="the child to end", interval=0.05)


def test_sample_trees_reports_descendants_and_memory(leader: subprocess.Popen[bytes]) -> None:
    _, child = leader_and_child(leader)
    sample = process_tree.sample_trees([leader.pid])[leader.pid]
    assert [member.pid for member in sample.members] == [child.pid]
    assert sample.memory > 0
    assert 0 < sample.proportional_memory() <= sample.memory  # PSS never exceeds RSS
    assert process_tree.sample_trees([]) == {}


def test_sweep_ends_marked_processes_that_left_their_tree(tmp_path: Path) -> None:
    # A grandchild in its own session whose parent exits: it is re-parented away, but keeps the marker.
    code = (
        "import subprocess, sys; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'], "
        "start_new_session=True)"
    )
    subprocess.run([sys.executable, "-c", code], env={**ENV, "FARFLOW_TEST_MARK": tmp_path.name}, check=True)
    orphans = wait_for(
        lambda: process_tree.marked("FARFLOW_TEST_MARK", tmp_path.name) or None, timeout=30, what="the orphan"
    )
    swept = process_tree.sweep(set(), "FARFLOW_TEST_MARK", tmp_path.name, grace=2)
    assert swept == [p.pid for p in orphans]
    assert process_tree.marked("FARFLOW_TEST_MARK", tmp_path.name) == []


def test_sweep_ends_processes_of_a_session_after_its_leader_died(leader: subprocess.Popen[bytes]) -> None:
    # The leader is SIGKILLed: its child (in a group of its own) is orphaned but stays in the session.
    members = leader_and_child(leader)
    session_ids = process_tree.sessions(members)
    assert session_ids == {leader.pid}
    leader.kill()
    leader.wait()
    assert [p.pid for p in process_tree.in_sessions(session_ids)] == [members[1].pid]
    assert process_tree.sweep(session_ids, "FARFLOW_TEST_UNUSED", "x", grace=2) == [members[1].pid]
    assert process_tree.in_sessions(session_ids) == []


def test_a_zombie_in_a_session_is_not_counted_as_left() -> None:
    # A child that exited but was not yet reaped: dead, nothing to stop, only a pid entry.
    child = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True, env=ENV)
    wait_for(
        lambda: psutil.Process(child.pid).status() == psutil.STATUS_ZOMBIE or None,
        timeout=30,
        what="a zombie",
    )
    try:
        assert process_tree.in_sessions({child.pid}) == []
    finally:
        child.wait()


UNREAPED_CHILD = """
import os, time
pid = os.fork()
if pid == 0:
    os._exit(0)
print(pid, flush=True)
time.sleep(600)
"""


def test_waiting_for_an_exited_child_of_another_process_does_not_wait_out_the_timeout() -> None:
    # The parent does not reap its exited child: a zombie, as when init is slow to reap orphans.
    parent = subprocess.Popen([sys.executable, "-c", UNREAPED_CHILD], stdout=subprocess.PIPE, env=ENV)
    try:
        assert parent.stdout is not None
        zombie = psutil.Process(int(parent.stdout.readline()))
        assert process_tree.wait_gone([zombie], timeout=30) == []  # psutil's wait_procs: 30 s, then alive
    finally:
        parent.kill()
        parent.wait()
