"""Run `airflow edge worker` so that stopping its ECS task drains it instead of killing its jobs.

ECS stops a task by sending SIGTERM to each container, then SIGKILL once the container's `stopTimeout`
has passed, at most 120 s on Fargate ("ContainerDefinition stopTimeout", ECS API reference). A task
definition has no stop signal setting (an open request on the AWS containers roadmap, aws/containers-roadmap#359), and AWS
does not document that Fargate honours an image's STOPSIGNAL, so nothing here relies on either. edge3's
worker answers SIGTERM by sending SIGTERM to every running job, whose task process runs the operator's
`on_kill` (Airflow 3.3.2 task_runner.py `_on_term`: a BashOperator kills its command, the ECS operator
stops its task), and SIGINT by draining: it fetches no new job, lets the running ones finish, then
signs off (airflow/providers/edge3/cli/worker.py: `shutdown_handler`, `signal_drain`).

So this entry starts the worker as its child and turns the SIGTERM it gets into SIGINT for the child.
The child runs in its own session: the official image's init, dumb-init, forwards a signal to its
child's whole process group by default, which would hand the worker the SIGTERM too. The worker's drain
timeout is set inside the stop timeout (`drain_settings`): a job still running then is ended by the
worker, which reports it, rather than by SIGKILL with nobody left to report it. While the worker runs
jobs, it holds ECS task scale-in protection (farflow.worker.protection).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from types import FrameType

from farflow.worker.protection import TaskProtection
from farflow.worker.status import EdgeStatus

log = logging.getLogger("farflow.worker")

# The worker container's stopTimeout (the deploy renders it): Fargate's maximum.
STOP_TIMEOUT_SECONDS = 120
# Within it: the worker waits DRAIN for running jobs, then SIGTERMs them and waits KILL_GRACE more for
# their supervisors to report the ending; the rest is left for the worker to sign off and exit.
DRAIN_TIMEOUT_SECONDS = 95
KILL_GRACE_SECONDS = 15
EDGE_WORKER: tuple[str, ...] = (sys.executable, "-m", "airflow", "edge", "worker")
DRAIN_SIGNAL = signal.SIGINT
# How often the worker is asked for its job count (for scale-in protection).
POLL_SECONDS = 5.0


def drain_settings() -> dict[str, str]:
    """edge3's drain timeout and kill grace ([edge] drain_timeout_sec, drain_kill_grace_sec)."""
    return {
        "AIRFLOW__EDGE__DRAIN_TIMEOUT_SEC": str(DRAIN_TIMEOUT_SECONDS),
        "AIRFLOW__EDGE__DRAIN_KILL_GRACE_SEC": str(KILL_GRACE_SECONDS),
    }


def child_signal(received: int) -> signal.Signals | None:
    """What the worker gets for a signal this entry receives: SIGTERM (ECS stopping the task) and SIGINT
    (Ctrl-C) both become SIGINT, edge3's drain; nothing else is passed on."""
    return DRAIN_SIGNAL if received in (signal.SIGTERM, signal.SIGINT) else None


def exit_code(returncode: int) -> int:
    """The child's exit status as a shell reports it (128 + signal number when a signal ended it)."""
    return 128 - returncode if returncode < 0 else returncode


class DrainingWorker:
    """One worker child: passes on the drain, keeps protection in step with its jobs, waits for it."""

    def __init__(
        self,
        protection: TaskProtection | None,
        environ: Mapping[str, str],
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.protection = protection
        self.environ = environ
        self.poll_seconds = poll_seconds
        self.child: subprocess.Popen[bytes] | None = None
        self.draining = False

    def on_signal(self, received: int, _frame: FrameType | None = None) -> None:
        if child_signal(received) is None or self.draining:
            return
        self.draining = True
        log.info(
            "%s received: draining the Edge worker; running jobs finish first", signal.Signals(received).name
        )
        self._forward()

    def _forward(self) -> None:
        if self.child is None:
            return  # not started yet: run() passes the drain on once it is
        with contextlib.suppress(ProcessLookupError):
            self.child.send_signal(DRAIN_SIGNAL)

    def run(self, command: Sequence[str]) -> int:
        """Start `command` and watch it until it exits; its exit code."""
        # Handlers first: a SIGTERM that comes while the worker starts still drains it.
        for received in (signal.SIGTERM, signal.SIGINT):
            signal.signal(received, self.on_signal)
        # A deployment's own [edge] drain settings win over these.
        environment = {**drain_settings(), **self.environ}
        self.child = child = subprocess.Popen(list(command), env=environment, start_new_session=True)
        log.info(
            "Edge worker started (pid %d); task scale-in protection %s",
            child.pid,
            "through the ECS agent" if self.protection else "off (no ECS_AGENT_URI)",
        )
        if self.draining:
            self._forward()
        status = EdgeStatus(child.pid, self.environ)
        while True:
            try:
                return exit_code(child.wait(timeout=self.poll_seconds))
            except subprocess.TimeoutExpired:
                pass
            if self.protection is not None and not self.draining:
                self.protection.update(status.job_count(), time.monotonic())


def main(argv: Sequence[str], command: Sequence[str] = EDGE_WORKER) -> int:
    """Run `command` (the Edge worker) with `argv` (its options) under a DrainingWorker; its exit code."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    environ: Mapping[str, str] = dict(os.environ)
    worker = DrainingWorker(TaskProtection.from_environ(environ), environ)
    return worker.run([*command, *argv])
