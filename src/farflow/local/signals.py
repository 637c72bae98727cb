"""Ctrl-C and SIGTERM as one exception, so `finally` blocks stop every process farflow started."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import FrameType
from typing import Any

HANDLED = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """The user (Ctrl-C) or a supervisor (SIGTERM) asked farflow to stop."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_code(signum: int) -> int:
    """How a command that stopped cleanly on a signal exits: 130 after Ctrl-C, as shells report an
    interrupted command (so `farflow local up && next` does not go on); 0 after SIGTERM, the way a stack
    running in the background is asked to stop."""
    return 128 + signum if signum == signal.SIGINT else 0


def _raise(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signum)


@contextmanager
def _handled_by(handler: Callable[[int, FrameType | None], Any] | signal.Handlers) -> Iterator[None]:
    previous = {signum: signal.signal(signum, handler) for signum in HANDLED}
    try:
        yield
    finally:
        for signum, earlier in previous.items():
            signal.signal(signum, earlier)


def interruptible() -> AbstractContextManager[None]:
    """Within the block, SIGINT and SIGTERM raise Interrupted; the previous handlers come back after."""
    return _handled_by(_raise)


def shielded() -> AbstractContextManager[None]:
    """Within the block (shutting down), further SIGINT/SIGTERM are ignored so the shutdown completes."""
    return _handled_by(signal.SIG_IGN)
