"""Starting and stopping Airflow's components, and polling with a deadline (real processes, no mocks)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import psutil
import pytest

from farflow.local.component_processes import ProcessFailed, check_running, run, start, stop, tail, wait_for
from farflow.local.process_tree import tree

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
    process = start("tree", [sys.executable, "-c", PARENT], {"PATH": "/usr/bin:/bin"}, log)

    def both_up() -> list[psutil.Process] | None:
        members = tree(process.pid)
        return members if len(members) == 2 and "child up" in log.read_text() else None

    members = wait_for(both_up, timeout=30, what="the child process", watch=[process])
    stop([process], grace=1.0)
    assert not process.alive()
    assert not [
        member for member in members if member.is_running() and member.status() != psutil.STATUS_ZOMBIE
    ]


def test_run_reports_failure_with_the_log(tmp_path: Path) -> None:
    code = "import sys; print('something broke'); sys.exit(4)"
    with pytest.raises(ProcessFailed, match=r"(?s)exit code 4.*something broke"):
        run("step", [sys.executable, "-c", code], {}, tmp_path / "step.log", timeout=30)


def test_wait_for_fails_fast_when_a_watched_process_exits(tmp_path: Path) -> None:
    process = start("quitter", [sys.executable, "-c", "print('bye')"], {}, tmp_path / "q.log")
    with pytest.raises(ProcessFailed, match=r"(?s)quitter exited.*bye"):
        wait_for(lambda: None, timeout=30, what="never", watch=[process], interval=0.05)


def test_check_running_names_a_process_that_exited(tmp_path: Path) -> None:
    process = start("quitter", [sys.executable, "-c", "print('bye')"], {}, tmp_path / "q.log")
    process.popen.wait()
    with pytest.raises(ProcessFailed, match=r"(?s)^quitter exited \(code 0\); see .*q\.log:\nbye"):
        check_running([process])


def test_wait_for_times_out_with_what_it_waited_for() -> None:
    with pytest.raises(TimeoutError, match="the moon"):
        wait_for(lambda: None, timeout=0.2, what="the moon", interval=0.05)


def test_tail_of_a_missing_file_is_empty(tmp_path: Path) -> None:
    assert tail(tmp_path / "none.log") == ""


# On SIGTERM, say whether the other process (the first argv) is still alive, then exit.
REPORTS_PEER = """
import os, signal, sys, time
def on_term(*_):
    try:
        os.kill(int(sys.argv[1]), 0)
        print('peer alive at my SIGTERM', flush=True)
    except ProcessLookupError:
        print('peer gone at my SIGTERM', flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
print('up', flush=True)
time.sleep(600)
"""
IGNORES_TERM = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(600)"


def test_stop_signals_every_process_before_killing_any(tmp_path: Path) -> None:
    stubborn = start("stubborn", [sys.executable, "-c", IGNORES_TERM], {}, tmp_path / "stubborn.log")
    polite = start(
        "polite", [sys.executable, "-c", REPORTS_PEER, str(stubborn.pid)], {}, tmp_path / "polite.log"
    )
    for process in (stubborn, polite):
        wait_for(lambda p=process: "up" in p.log_path.read_text() or None, timeout=30, what="up")
    stop([stubborn, polite], grace=1.0)  # one after the other, the stubborn one would be dead by then
    assert "peer alive at my SIGTERM" in polite.log_path.read_text()
    assert not stubborn.alive() and not polite.alive()


# Counts its SIGTERMs and takes a moment to shut down, as Airflow's components do; its child moves to a
# process group of its own, as Airflow's task runner does, counts its SIGTERMs too, and never ends on its
# own: it lives until stop()'s SIGKILL, so every SIGTERM stop() sends it, however late, is counted.
COUNTS_TERMS = """
import os, signal, subprocess, sys, time
terms = 0
def on_term(*_):
    global terms
    terms += 1
    print(os.getpid(), "SIGTERM", terms, flush=True)
signal.signal(signal.SIGTERM, on_term)
child = sys.argv[1:] == ["child"]
if child:
    os.setpgid(0, 0)
else:
    subprocess.Popen([sys.executable, __file__, "child"])
print(os.getpid(), "up", flush=True)
deadline = time.monotonic() + 60
while (child or not terms) and time.monotonic() < deadline:
    time.sleep(0.05)
time.sleep(1)  # shutting down: a second SIGTERM would come now
"""
CHILD_LIFE = 3.0  # stop()'s grace here: the child is SIGKILLed when it is over


def test_stop_sends_each_process_of_the_tree_one_sigterm(tmp_path: Path) -> None:
    script = tmp_path / "counts.py"
    script.write_text(COUNTS_TERMS)
    process = start("counts", [sys.executable, str(script)], {}, tmp_path / "counts.log")
    wait_for(lambda: process.log_path.read_text().count(" up") == 2 or None, timeout=30, what="both up")
    up = [line.split()[0] for line in process.log_path.read_text().splitlines() if line.endswith(" up")]
    stop([process], grace=CHILD_LIFE)
    terms = [line for line in process.log_path.read_text().splitlines() if "SIGTERM" in line]
    # Both got their SIGTERM, and neither a second one: not the parent while it shut down, nor the child
    # at any time until its SIGKILL.
    assert sorted(line.split()[0] for line in terms) == sorted(up), terms
    assert all(line.endswith("SIGTERM 1") for line in terms), terms


# Like Airflow's triggerer: on SIGTERM it asks its runner to stop with SIGINT and escalates if the runner
# has not ended within ESCALATE seconds. This runner misses SIGINT, and ends on SIGTERM.
STOPS_ITS_RUNNER = """
import signal, subprocess, sys, time
ESCALATE = 8.0
if sys.argv[1:] == ["runner"]:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: (print("runner: SIGTERM", flush=True), sys.exit(0)))
    print("runner up", flush=True)
    time.sleep(600)
runner = subprocess.Popen([sys.executable, __file__, "runner"])
stopping = []
signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
print("parent up", flush=True)
while not stopping:
    time.sleep(0.05)
runner.send_signal(signal.SIGINT)
try:
    runner.wait(timeout=ESCALATE)
    print("parent: runner ended, no escalation", flush=True)
except subprocess.TimeoutExpired:
    print("parent: escalating", flush=True)
    runner.kill()
"""


def test_children_of_a_slow_stopping_process_get_their_own_sigterm(tmp_path: Path) -> None:
    script = tmp_path / "stops_runner.py"
    script.write_text(STOPS_ITS_RUNNER)
    process = start("triggerer-like", [sys.executable, str(script)], {}, tmp_path / "t.log")
    wait_for(lambda: "runner up" in process.log_path.read_text() or None, timeout=30, what="runner up")
    stop([process], grace=15.0, hurry={process.name: 0.5})
    log = process.log_path.read_text()
    assert "runner: SIGTERM" in log and "parent: runner ended, no escalation" in log, log
    assert process.exit_code() == 0


# Like Airflow's triggerer when its runner ends at once: it then waits out its escalation in a select() on
# the runner's closed sockets, and a second SIGTERM starts another wait.
STALLS_AFTER_ITS_RUNNER = """
import signal, subprocess, sys, time
if sys.argv[1:] == ["runner"]:
    print("runner up", flush=True)
    time.sleep(600)
runner = subprocess.Popen([sys.executable, __file__, "runner"])
terms = []
signal.signal(signal.SIGTERM, lambda *_: terms.append(1))
print("parent up", flush=True)
while not terms:
    time.sleep(0.05)
runner.send_signal(signal.SIGINT)
runner.wait()
time.sleep(8)
print("parent: stalled wait over", flush=True)
"""


def test_a_process_stalled_with_no_child_left_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "stalls.py"
    script.write_text(STALLS_AFTER_ITS_RUNNER)
    process = start("stalls", [sys.executable, str(script)], {}, tmp_path / "s.log")
    wait_for(lambda: "runner up" in process.log_path.read_text() or None, timeout=30, what="runner up")
    stop([process], grace=15.0, hurry={process.name: 0.5})
    log = process.log_path.read_text()
    assert "stalled wait over" not in log, log  # ended long before its 8 s wait was over
    assert not process.alive()


# A scheduler with a LocalExecutor worker: the worker's task runner moves to a process group of its own
# (as Airflow's does) and ignores SIGTERM, and the worker ends with its parent.
SCHEDULER = """
import os, signal, subprocess, sys, time
if sys.argv[1:] == ["runner"]:
    os.setpgid(0, 0)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("runner", os.getpid(), flush=True)
    time.sleep(600)
elif sys.argv[1:] == ["worker"]:
    subprocess.Popen([sys.executable, __file__, "runner"])
    time.sleep(600)
else:
    subprocess.Popen([sys.executable, __file__, "worker"])
    time.sleep(600)
"""


def test_stopping_a_killed_component_ends_the_task_runners_that_left_its_tree(tmp_path: Path) -> None:
    script = tmp_path / "scheduler.py"
    script.write_text(SCHEDULER)
    scheduler = start("scheduler", [sys.executable, str(script)], {}, tmp_path / "scheduler.log")

    def runner_up() -> psutil.Process | None:
        lines = [line for line in scheduler.log_path.read_text().splitlines() if line.startswith("runner")]
        return psutil.Process(int(lines[0].split()[1])) if lines else None

    runner = wait_for(runner_up, timeout=30, what="the task runner", watch=[scheduler])
    try:
        scheduler.popen.kill()  # as `kill -9` of the scheduler: its tree is gone, its session is not
        wait_for(scheduler.exit_code, timeout=30, what="the scheduler to die")
        stop([scheduler], grace=1.0)  # what the supervisor does before it starts the scheduler again
        assert not runner.is_running() or runner.status() == psutil.STATUS_ZOMBIE
    finally:
        with contextlib.suppress(psutil.Error):
            runner.kill()
