"""The tests' one way to wait: poll a check until it holds or a deadline passes, never sleep-then-assert."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    check: Callable[[], T],
    *,
    what: str,
    timeout: float,
    interval: float = 0.05,
    step: Callable[[], object] = lambda: None,
    detail: Callable[[], object] = lambda: None,
) -> T:
    """Call `step()` then `check()` until `check()` returns something truthy, and return that. After
    `timeout` seconds fail naming `what` (and `detail()`, if it says something)."""
    deadline = time.monotonic() + timeout
    while True:
        step()
        found = check()
        if found:
            return found
        if time.monotonic() >= deadline:
            extra = detail()
            raise AssertionError(
                f"timed out after {timeout:g} s waiting for {what}" + (f"; {extra}" if extra else "")
            )
        time.sleep(interval)
