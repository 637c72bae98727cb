"""The supervisor with fake components and a fake clock: restarts after the policy's delay, reports on the
terminal and in the component's log, gives up with the log tail."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from farflow.local.component_processes import ProcessFailed, wait_for
from farflow.local.restart_policy import RestartPolicy
from farflow.local.supervisor import Supervisor


@dataclass
class FakeChild:
    name: str
    log_path: Path
    pid: int
    code: int | None = None

    def exit_code(self) -> int | None:
        return self.code


@dataclass
class Harness:
    """A supervisor whose `start` makes FakeChildren with rising pids, on a clock the test moves."""

    tmp: Path
    now: float = 100.0
    started: list[FakeChild] = field(default_factory=list)
    cleaned: list[int] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)
    changes: int = 0

    def start(self, name: str) -> FakeChild:
        child = FakeChild(name, self.tmp / f"{name}.log", pid=1000 + len(self.started))
        self.started.append(child)
        return child

    def supervisor(self, policy: RestartPolicy | None = None) -> Supervisor:
        def changed() -> None:
            self.changes += 1

        return Supervisor(
            self.start,
            cleanup=lambda child: self.cleaned.append(child.pid),
            policy=policy,
            report=self.reports.append,
            on_change=changed,
            clock=lambda: self.now,
        )


def test_an_exited_component_starts_again_after_the_delay(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    supervisor = harness.supervisor()
    first = harness.start("scheduler")
    supervisor.add(first)
    supervisor.poll()
    assert supervisor.states()["scheduler"].state == "running"

    first.code = -9
    supervisor.poll()
    assert harness.cleaned == [first.pid]  # what it left behind is ended at once
    state = supervisor.states()["scheduler"]
    assert (state.state, state.pid, state.last_exit_code, state.restarts) == ("restarting", None, -9, 0)
    assert harness.reports[-1] == (
        "scheduler exited (code -9 (SIGKILL)); starting it again in 1s "
        "(exit 1 within 5 minutes; farflow stops the stack at 5)"
    )

    harness.now += 0.5
    supervisor.poll()
    assert len(harness.started) == 1  # not yet: the delay is 1 s
    harness.now += 0.6
    supervisor.poll()
    assert len(harness.started) == 2
    second = harness.started[-1]
    assert supervisor.children["scheduler"] is second
    state = supervisor.states()["scheduler"]
    assert (state.state, state.pid, state.restarts, state.last_exit_code) == ("running", second.pid, 1, -9)
    assert harness.reports[-1] == f"scheduler started again (pid {second.pid}, restart 1)"
    log = (tmp_path / "scheduler.log").read_text()
    assert "farflow: scheduler exited (code -9 (SIGKILL))" in log
    assert "farflow: scheduler started again" in log
    assert harness.changes >= 3
    supervisor.check()  # no failure


def test_a_component_that_keeps_failing_stops_the_stack_with_its_log(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    supervisor = harness.supervisor(RestartPolicy(max_exits=3, window=60.0))
    supervisor.add(harness.start("dag-processor"))
    (tmp_path / "dag-processor.log").write_text("Traceback: something is broken\n")
    delays = []
    for _round in range(3):
        harness.started[-1].code = 1
        supervisor.poll()
        if supervisor.failure is not None:
            break
        delays.append(harness.reports[-1])
        harness.now += 10.0
        supervisor.poll()
    assert len(harness.started) == 3  # the first start and two restarts
    assert [("again in 1s" in r, "again in 2s" in r) for r in delays] == [(True, False), (False, True)]
    with pytest.raises(ProcessFailed, match=r"(?s)3 exits within 1 minutes.*something is broken"):
        supervisor.check()
    assert supervisor.states()["dag-processor"].state == "failed"
    harness.now += 100.0
    supervisor.poll()  # a supervisor that gave up restarts nothing
    assert len(harness.started) == 3


def test_a_stopped_supervisor_restarts_nothing(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    supervisor = harness.supervisor()
    child = harness.start("triggerer")
    supervisor.add(child)
    supervisor.start_thread(interval=0.01)
    supervisor.stop_thread()
    child.code = 0
    supervisor.poll()
    assert harness.cleaned == []
    assert supervisor.states()["triggerer"].state == "running"


def test_the_background_thread_restarts_and_survives_an_error_in_a_pass(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    calls: list[int] = []

    def changed() -> None:  # the first change in the thread (the exit) fails to be saved
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")

    supervisor = Supervisor(
        harness.start,
        policy=RestartPolicy(first_delay=0.0),
        report=harness.reports.append,
        on_change=changed,
    )
    child = harness.start("api-server")
    supervisor.add(child)
    supervisor.start_thread(interval=0.01)
    try:
        child.code = 1
        wait_for(lambda: len(harness.started) >= 2 or None, timeout=30, what="the restart")
    finally:
        supervisor.stop_thread()
    assert supervisor.states()["api-server"].restarts == 1
    assert "farflow's supervisor: OSError: disk full" in harness.reports
