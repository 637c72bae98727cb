"""Keeps Airflow's components running, as an ECS service keeps its tasks running: a component that exits is
started again after the restart policy's delay, its exit and restart reported on the terminal and in its
own log; when it keeps failing, the supervisor gives up and the stack stops with its log tail.

`poll()` does one pass and never sleeps, so tests drive it with a fake clock; `start_thread()` polls in
the background, so every wait of the stack (up, demo, run, tests) gets the restarts.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from farflow.local.component_processes import ProcessFailed, tail
from farflow.local.restart_policy import GiveUp, RestartPolicy

POLL_INTERVAL = 0.5


class Child(Protocol):
    """What the supervisor needs of a started component (component_processes.ManagedProcess)."""

    name: str
    log_path: Path

    @property
    def pid(self) -> int: ...

    def exit_code(self) -> int | None: ...


@dataclass(frozen=True)
class ComponentState:
    """One component as `farflow local status` shows it."""

    pid: int | None
    state: str  # running, restarting, failed
    restarts: int = 0
    last_exit_code: int | None = None
    last_exit_at: str | None = None  # ISO 8601, UTC


def exit_text(code: int | None) -> str:
    """`code 1`, or `code -9 (SIGKILL)` for a process a signal ended."""
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"code {code} ({signal.Signals(-code).name})"
    return f"code {code}"


def note(log_path: Path, text: str) -> None:
    """Append a line of farflow's own to a component's log, so the log tells the whole story."""
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with contextlib.suppress(OSError), log_path.open("a") as log:
        log.write(f"[{stamp}] farflow: {text}\n")


class Supervisor:
    """Restarts components that exit, by the policy; `failure` is set once it gives up."""

    def __init__(
        self,
        start: Callable[[str], Child],
        *,
        cleanup: Callable[[Child], None] = lambda _child: None,
        policy: RestartPolicy | None = None,
        report: Callable[[str], None] = lambda _message: None,
        on_change: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._start = start
        self._cleanup = cleanup
        self.policy = policy or RestartPolicy()
        self._report = report
        self._on_change = on_change
        self._clock = clock
        self._children: dict[str, Child] = {}
        self._exits: dict[str, list[float]] = {}
        self._due: dict[str, float] = {}
        self._states: dict[str, ComponentState] = {}
        self.failure: ProcessFailed | None = None
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- what it watches --------------------------------------------------------------------------------

    def add(self, child: Child) -> None:
        with self._lock:
            self._children[child.name] = child
            self._states[child.name] = ComponentState(child.pid, "running")
        self._on_change()

    @property
    def children(self) -> dict[str, Child]:
        """The current process of each component (a restarted one's new process)."""
        with self._lock:
            return dict(self._children)

    def states(self) -> Mapping[str, ComponentState]:
        with self._lock:
            return dict(self._states)

    def check(self) -> None:
        """Raise the give-up failure, if any: called by everything that waits on the stack."""
        if self.failure is not None:
            raise self.failure

    # -- one pass ---------------------------------------------------------------------------------------

    def poll(self) -> None:
        """Notice exits, restart components whose delay has passed, or give up."""
        changed = False
        with self._lock:
            if self.failure is not None or self._stop.is_set():
                return
            now = self._clock()
            for name, child in list(self._children.items()):
                if name in self._due:
                    if now >= self._due[name]:
                        self._restart(name)
                        changed = True
                elif child.exit_code() is not None:
                    self._exited(name, child, now)
                    changed = True
                if self.failure is not None:
                    break
        if changed:
            self._on_change()

    def _exited(self, name: str, child: Child, now: float) -> None:
        code = child.exit_code()
        self._cleanup(child)  # whatever it started goes with it, as with a stopped ECS task
        exits = self.policy.recent([*self._exits.get(name, []), now], now)
        self._exits[name] = exits
        restarts = self._states[name].restarts
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        decision = self.policy.decide(exits, now)
        if isinstance(decision, GiveUp):
            message = (
                f"{name} exited ({exit_text(code)}): {decision.exits} exits within "
                f"{self.policy.window / 60:g} minutes, so farflow stops the stack"
            )
            note(child.log_path, message)
            self._states[name] = ComponentState(None, "failed", restarts, code, stamp)
            self.failure = ProcessFailed(f"{message}; see {child.log_path}:\n{tail(child.log_path)}")
            self._report(message)
            return
        message = (
            f"{name} exited ({exit_text(code)}); starting it again in {decision.delay:g}s "
            f"(exit {decision.exits} within {self.policy.window / 60:g} minutes; "
            f"farflow stops the stack at {self.policy.max_exits})"
        )
        note(child.log_path, message)
        self._report(message)
        self._states[name] = ComponentState(None, "restarting", restarts, code, stamp)
        self._due[name] = now + decision.delay

    def _restart(self, name: str) -> None:
        del self._due[name]
        before = self._states[name]
        try:
            child = self._start(name)
        except (OSError, ValueError) as error:  # could not even start: counts as an exit
            self._states[name] = ComponentState(
                None, "restarting", before.restarts, None, before.last_exit_at
            )
            self._report(f"{name} could not start again: {error}")
            self._exited(name, self._children[name], self._clock())
            return
        self._children[name] = child
        self._states[name] = ComponentState(
            child.pid, "running", before.restarts + 1, before.last_exit_code, before.last_exit_at
        )
        message = f"{name} started again (pid {child.pid}, restart {before.restarts + 1})"
        note(child.log_path, message)
        self._report(message)

    # -- in the background --------------------------------------------------------------------------------

    def start_thread(self, interval: float = POLL_INTERVAL) -> None:
        """Poll every `interval` seconds in a daemon thread until `stop_thread()`."""

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.poll()
                except Exception as error:  # e.g. the record could not be written: keep supervising
                    self._report(f"farflow's supervisor: {type(error).__name__}: {error}")

        self._stop.clear()
        self._thread = threading.Thread(target=loop, name="farflow-supervisor", daemon=True)
        self._thread.start()

    def stop_thread(self) -> None:
        """Stop restarting (the stack is stopping); waits for a restart under way to finish."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=30)
        with self._lock:  # a poll() that was mid-pass has finished once we hold the lock
            pass
