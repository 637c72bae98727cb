"""Starting and stopping process trees, and polling with a deadline (real processes, no mocks)."""

from __future__ import annotations

import sys
from pathlib import Path

import psutil
import pytest

from farflow.local import processes

# A parent that starts a child which ignores SIGTERM: stop() must still leave neither behind.
PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('child up', flush=True); time.sleep(600)"])
print('parent up', flush=True)
time.sleep(600)
"""


def test_stop_ends_the_whole_tree(tmp_path: Path) -> None:
    log = tmp_path / "tree.log"
    process = processes.start("tree", [sys.executable, "-c", PARENT], {"PATH": "/usr/bin:/bin"}, log)

    def both_up() -> list[psutil.Process] | None:
        members = processes.tree(process.pid)
        return members if len(members) == 2 and "child up" in log.read_text() else None

    members = processes.wait_for(
        both_up,
        timeout=30,
        what="the child process",
        watch=[process],
    )
    processes.stop([process], grace=1.0)
    assert not process.alive()
    assert not [
        member for member in members if member.is_running() and member.status() != psutil.STATUS_ZOMBIE
    ]


def test_run_reports_failure_with_the_log(tmp_path: Path) -> None:
    code = "import sys; print('something broke'); sys.exit(4)"
    with pytest.raises(processes.ProcessFailed, match=r"(?s)exit code 4.*something broke"):
        processes.run("step", [sys.executable, "-c", code], {}, tmp_path / "step.log", timeout=30)


def test_wait_for_fails_fast_when_a_watched_process_exits(tmp_path: Path) -> None:
    process = processes.start("quitter", [sys.executable, "-c", "print('bye')"], {}, tmp_path / "q.log")
    with pytest.raises(processes.ProcessFailed, match=r"(?s)quitter exited.*bye"):
        processes.wait_for(lambda: None, timeout=30, what="never", watch=[process], interval=0.05)


def test_wait_for_times_out_with_what_it_waited_for() -> None:
    with pytest.raises(TimeoutError, match="the moon"):
        processes.wait_for(lambda: None, timeout=0.2, what="the moon", interval=0.05)


def test_tail_of_a_missing_file_is_empty(tmp_path: Path) -> None:
    assert processes.tail(tmp_path / "none.log") == ""


def test_sweep_ends_marked_processes_that_left_their_tree(tmp_path: Path) -> None:
    # A grandchild in its own session whose parent exits: it is re-parented away, but keeps the marker.
    code = (
        "import subprocess, sys; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'], "
        "start_new_session=True)"
    )
    env = {"PATH": "/usr/bin:/bin", "FARFLOW_TEST_MARK": tmp_path.name}
    processes.run("orphan maker", [sys.executable, "-c", code], env, tmp_path / "o.log", timeout=30)
    orphans = processes.wait_for(
        lambda: processes.marked("FARFLOW_TEST_MARK", tmp_path.name) or None, timeout=30, what="the orphan"
    )
    assert processes.sweep(set(), "FARFLOW_TEST_MARK", tmp_path.name, grace=2) == [p.pid for p in orphans]
    assert processes.marked("FARFLOW_TEST_MARK", tmp_path.name) == []


def test_sweep_ends_processes_of_a_session_after_its_leader_died(tmp_path: Path) -> None:
    # The leader starts a child that retitles itself into its own process group (as Airflow's task
    # runner does) and then the leader is SIGKILLed: the child is orphaned but stays in the session.
    code = (
        "import os, subprocess, sys, time; "
        "subprocess.Popen([sys.executable, '-c', 'import os, time; os.setpgid(0, 0); time.sleep(600)']); "
        "time.sleep(600)"
    )
    leader = processes.start(
        "leader", [sys.executable, "-c", code], {"PATH": "/usr/bin:/bin"}, tmp_path / "l.log"
    )

    def leader_and_child() -> list[psutil.Process] | None:
        found = processes.tree(leader.pid)
        return found if len(found) == 2 else None

    members = processes.wait_for(leader_and_child, timeout=30, what="the leader's child")
    session_ids = processes.sessions(members)
    assert session_ids == {leader.pid}
    leader.popen.kill()
    leader.popen.wait()
    assert [p.pid for p in processes.in_sessions(session_ids)] == [members[1].pid]
    assert processes.sweep(session_ids, "FARFLOW_TEST_UNUSED", "x", grace=2) == [members[1].pid]
    assert processes.in_sessions(session_ids) == []
