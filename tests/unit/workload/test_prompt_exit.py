"""The Task SDK supervisor's wait, capped only when it has no socket left to wait on (its real method)."""

from __future__ import annotations

import selectors
import socket
from typing import Any

from airflow.sdk.execution_time.supervisor import WatchedSubprocess

from farflow.workload.prompt_exit import POLL, notice_exits_promptly


class RecordingSelector(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
    """A real selector that remembers each timeout it was asked to wait."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[float | None] = []

    def select(self, timeout: float | None = None) -> Any:
        self.timeouts.append(timeout)
        return super().select(timeout)


def supervisor_with(selector: RecordingSelector) -> Any:
    """A WatchedSubprocess whose process has exited (so each pass ends after one wait)."""
    supervisor = object.__new__(WatchedSubprocess)
    supervisor.selector = selector
    supervisor._exit_code = 0
    return supervisor


def test_with_no_socket_left_the_wait_is_short() -> None:
    assert notice_exits_promptly()
    selector = RecordingSelector()
    assert supervisor_with(selector)._service_subprocess(max_wait_time=5.0) == 0
    assert selector.timeouts == [POLL]


def test_while_a_socket_is_open_the_wait_is_as_asked() -> None:
    assert notice_exits_promptly()
    quiet, other = socket.socketpair()
    selector = RecordingSelector()
    selector.register(quiet, selectors.EVENT_READ, (lambda _sock: True, lambda _sock: None))
    try:
        supervisor_with(selector)._service_subprocess(max_wait_time=0.2)
    finally:
        selector.close()
        quiet.close()
        other.close()
    assert selector.timeouts == [0.2]


def test_patching_twice_wraps_once() -> None:
    notice_exits_promptly()
    first = WatchedSubprocess._service_subprocess
    assert notice_exits_promptly()
    assert WatchedSubprocess._service_subprocess is first
