"""Fault injection settings and the seeded dice that apply them, so tests can reproduce AWS's bad days.

Draw order per RunTask call (what a seed reproduces): one capacity draw, then for each launched task one
Spot draw and one start-failure draw. Every other ECS call makes one throttle draw. Each draw happens
whatever the rate, so changing one rate does not shift the others' outcomes, and `random() < rate` makes
0.0 never and 1.0 always.
"""

from __future__ import annotations

import math
import os
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, fields

ENV_VARS = {
    "latency_ms": "FARFLOW_FAULT_LATENCY_MS",
    "throttle_rate": "FARFLOW_FAULT_THROTTLE_RATE",
    "capacity_rate": "FARFLOW_FAULT_CAPACITY_RATE",
    "spot_interruption_rate": "FARFLOW_FAULT_SPOT_RATE",
    "start_failure_rate": "FARFLOW_FAULT_START_FAILURE_RATE",
    "seed": "FARFLOW_FAULT_SEED",
}
RATES = ("throttle_rate", "capacity_rate", "spot_interruption_rate", "start_failure_rate")


class FaultSettingsError(ValueError):
    """A fault setting is unusable; the message names the setting (or variable) and the accepted values."""


@dataclass(frozen=True)
class FaultSettings:
    """What goes wrong, and how often: rates are fractions from 0.0 to 1.0."""

    latency_ms: int = 0
    throttle_rate: float = 0.0
    capacity_rate: float = 0.0
    spot_interruption_rate: float = 0.0
    start_failure_rate: float = 0.0
    seed: int | None = None

    def __post_init__(self) -> None:
        for field in fields(self):
            problem = _problem(field.name, getattr(self, field.name))
            if problem:
                raise FaultSettingsError(f"{field.name} is {getattr(self, field.name)!r}; {problem}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> FaultSettings:
        """Read the FARFLOW_FAULT_* variables; unset or empty ones keep their defaults."""
        source = os.environ if environ is None else environ
        values: dict[str, int | float] = {}
        for name, variable in ENV_VARS.items():
            raw = source.get(variable, "").strip()
            if not raw:
                continue
            try:
                value: int | float = float(raw) if name in RATES else int(raw)
            except ValueError:
                value = math.nan
            problem = _problem(name, value)
            if problem:
                raise FaultSettingsError(f"{variable} is {raw!r}; {problem}")
            values[name] = value
        return cls(**values)  # type: ignore[arg-type]


def _problem(name: str, value: object) -> str | None:
    """What is wrong with one setting's value, phrased as the fix; None if it is fine."""
    if name in RATES:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and 0.0 <= value <= 1.0
        return None if ok else "use a number from 0.0 to 1.0."
    if name == "latency_ms":
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        return None if ok else "use a whole number of milliseconds >= 0."
    ok = value is None or (isinstance(value, int) and not isinstance(value, bool))
    return None if ok else "use a whole number (or leave it unset for a random seed)."


class FaultDice:
    """Rolls for one `FaultSettings`; thread-safe, reproducible for a given seed and call order."""

    def __init__(self, settings: FaultSettings) -> None:
        self.settings = settings
        self._random = random.Random(settings.seed)
        self._lock = threading.Lock()

    def _hit(self, rate: float) -> bool:
        with self._lock:
            return self._random.random() < rate

    def throttle(self) -> bool:
        return self._hit(self.settings.throttle_rate)

    def no_capacity(self) -> bool:
        return self._hit(self.settings.capacity_rate)

    def launch_outcome(self) -> str | None:
        """'spot', 'start_failure' or None (starts normally) for one launched task."""
        spot = self._hit(self.settings.spot_interruption_rate)
        start_failure = self._hit(self.settings.start_failure_rate)
        if spot:
            return "spot"
        return "start_failure" if start_failure else None


class FaultSwitch:
    """An endpoint's current dice, read per request and replaced whole when the settings change."""

    def __init__(self, settings: FaultSettings) -> None:
        self.dice = FaultDice(settings)

    def set(self, settings: FaultSettings) -> None:
        self.dice = FaultDice(settings)
