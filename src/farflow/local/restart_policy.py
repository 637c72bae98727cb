"""When a component that exited starts again, and when farflow stops trying: pure, so a test drives it with
a fake clock.

As an ECS service starts a new task when one stops, with a growing delay between attempts, and its
circuit breaker gives up on a service whose tasks keep failing: a component is started again 1, 2, 4, then
8 seconds after it exits, and its fifth exit within five minutes stops the stack (a setting or a DAG that
breaks it every time shows at once, with its log). Exits older than the window are forgotten, so a
component that ran well for a while starts again after one second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Restart:
    """Start the component again after `delay` seconds; `exits` is how many fell in the window."""

    delay: float
    exits: int


@dataclass(frozen=True)
class GiveUp:
    """Too many exits in the window: stop the stack and show the log."""

    exits: int


@dataclass(frozen=True)
class RestartPolicy:
    """Exponential backoff within a window, and a cap on exits in it."""

    max_exits: int = 5
    window: float = 300.0
    first_delay: float = 1.0
    max_delay: float = 30.0

    def recent(self, exits: Sequence[float], now: float) -> list[float]:
        """The exit times (clock seconds) that still count at `now`."""
        return [moment for moment in exits if now - moment < self.window]

    def decide(self, exits: Sequence[float], now: float) -> Restart | GiveUp:
        """What to do after the latest of `exits` (which includes it)."""
        count = max(1, len(self.recent(exits, now)))
        if count >= self.max_exits:
            return GiveUp(count)
        return Restart(min(self.first_delay * 2 ** (count - 1), self.max_delay), count)

    def describe(self) -> str:
        """The policy in words, for messages and docs."""
        return f"{self.max_exits} exits within {self.window / 60:g} minutes"
