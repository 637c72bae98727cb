"""The container ends when its task process does, not up to 5 s later.

Airflow 3.3's Task SDK supervisor (`WatchedSubprocess`) waits for its task process in a loop: `select()`
on the process's sockets, then a look at whether it has exited. A task process closes its sockets a moment
before it exits. If the supervisor reads those closings first, nothing is left to `select()` on, and the
next wait sleeps its whole timeout, up to `[workers] min_heartbeat_interval` (5 s), before it looks again.
So the container, and the Fargate task it bills, outlived the Airflow task by 0.2-3.6 s on the local stack.
Airflow's triggerer has the same wait when it stops its runner (farflow.local.component_processes).

With nothing left to wait on, the wait here is capped at POLL seconds, so the supervisor notices the exit
at once. Its heartbeats, log reading and signal handling are unchanged.
"""

from __future__ import annotations

import functools
from typing import Any

POLL = 0.05  # seconds between looks at a task process that has closed every socket
_MARK = "_farflow_prompt_exit"


def notice_exits_promptly() -> bool:
    """Cap the supervisor's wait when it has no socket left to wait on. Idempotent; False (and nothing
    changed) if this Airflow has no such method, so a new Airflow runs as it is."""
    try:
        from airflow.sdk.execution_time.supervisor import WatchedSubprocess
    except ImportError:
        return False
    original = getattr(WatchedSubprocess, "_service_subprocess", None)
    if original is None:
        return False
    if getattr(original, _MARK, False):
        return True

    @functools.wraps(original)
    def service(self: Any, max_wait_time: float, *args: Any, **kwargs: Any) -> Any:
        if not self.selector.get_map():  # every socket closed: the process is exiting
            max_wait_time = min(max_wait_time, POLL)
        return original(self, max_wait_time, *args, **kwargs)

    setattr(service, _MARK, True)
    WatchedSubprocess._service_subprocess = service  # type: ignore[method-assign]
    return True
