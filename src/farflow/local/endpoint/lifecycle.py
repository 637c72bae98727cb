"""The ECS task lifecycle as pure data: statuses, how each kind of ending is reported, exit codes.

ECS reports a task PROVISIONING -> PENDING -> RUNNING -> STOPPED; a task can stop from any status.
Why it stopped is a stop code and a reason on the task, plus an exit code and sometimes a reason on each
container that ran. The strings below are the ones AWS uses, so code that reads them behaves the same
against the local endpoint and against ECS.
"""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass

PROVISIONING = "PROVISIONING"
PENDING = "PENDING"
RUNNING = "RUNNING"
STOPPED = "STOPPED"

_NEXT = {PROVISIONING: PENDING, PENDING: RUNNING}

DEFAULT_STOP_TIMEOUT = 30.0
DEFAULT_USER_STOP_REASON = "Task stopped by user"
OOM_REASON = "OutOfMemoryError: Container killed due to memory usage"


def next_status(status: str) -> str:
    """The status after `status` on the way up to RUNNING."""
    try:
        return _NEXT[status]
    except KeyError:
        raise ValueError(f"a task in {status} does not advance towards RUNNING") from None


@dataclass(frozen=True)
class Ending:
    """How ECS reports a stopped task: stopCode and stoppedReason."""

    stop_code: str
    reason: str


ESSENTIAL_EXIT = Ending("EssentialContainerExited", "Essential container in task exited")
SPOT_INTERRUPTION = Ending("SpotInterruption", "Your Spot Task was interrupted.")
INJECTED_START_FAILURE = Ending("TaskFailedToStart", "CannotPullContainerError: injected start failure")


def user_stop(reason: str | None) -> Ending:
    """StopTask's ending: the caller's reason, or ECS's default."""
    return Ending("UserInitiated", reason or DEFAULT_USER_STOP_REASON)


def failed_to_start(reason: str) -> Ending:
    """The task never ran a container: image, logging or command trouble."""
    return Ending("TaskFailedToStart", reason)


def launch_fault(outcome: str | None) -> Ending | None:
    """The ending an injected launch fault ('spot' or 'start_failure') imposes, if any."""
    return {"spot": SPOT_INTERRUPTION, "start_failure": INJECTED_START_FAILURE}.get(outcome or "")


@dataclass(frozen=True)
class ContainerExit:
    """A container's exitCode and reason, as DescribeTasks shows them."""

    exit_code: int
    reason: str | None = None


def container_exit(returncode: int, out_of_memory: bool = False) -> ContainerExit:
    """From a process's return code: a signal N becomes 128+N, as Docker reports it."""
    code = returncode if returncode >= 0 else 128 - returncode
    return ContainerExit(code, OOM_REASON if out_of_memory else None)


TERMINATED = container_exit(-signal.SIGTERM)
"""What an essential container without a process (execute=False) reports when StopTask ends it."""

SIDECAR_EXIT = ContainerExit(0)
"""What a non-essential container, which has no local process, reports once its task has run: a clean
exit, so callers that require every container to exit 0 (EcsRunTaskOperator) accept the task."""


_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(gb|gib|mb|mib)?\s*$", re.IGNORECASE)


def memory_mib(value: object) -> int | None:
    """ECS memory as MiB: 512, "512", "1 GB", "0.5GB"; None when unset; ValueError when unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value) or None
    match = _MEMORY.match(str(value))
    if not match:
        raise ValueError(f"memory {value!r} is not a number of MiB or a size such as '1 GB'")
    number, unit = float(match.group(1)), (match.group(2) or "mb").lower()
    return int(number * 1024) if unit.startswith("g") else int(number)
