"""Fault injection settings and the seeded dice that apply them, so tests can reproduce AWS's bad days.

Draw order per RunTask call (what a seed reproduces): one capacity draw, then for each launched task one
Spot draw and one start-failure draw, then (when tasks were launched) one server-error draw, which
answers the call with a 5xx although its tasks were created. A RunTask that repeats an earlier call's
clientToken returns that call's tasks and draws nothing. Every other ECS call makes one throttle draw.
Each draw happens whatever the rate, so changing one rate does not shift the others' outcomes, and `random() < rate` makes
0.0 never and 1.0 always. Task state change events draw from a sequence of their own (drop, duplicate,
delay per event), so the events' fates do not depend on the order of API calls in other threads.

Two faults are switches, not dice: `error` answers ECS calls (all, or `error_operations`) with an AWS
error such as expired credentials, and `hold` keeps ECS calls unanswered until it is turned off, as an
endpoint that does not answer. A call they answer or hold makes no draw.
Holding RunTask's answer after its tasks were created (`run_task_answer_delay_ms`) makes no draw.
"""

from __future__ import annotations

import math
import os
import random
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, fields

ENV_VARS = {
    "latency_ms": "FARFLOW_FAULT_LATENCY_MS",
    "throttle_rate": "FARFLOW_FAULT_THROTTLE_RATE",
    "capacity_rate": "FARFLOW_FAULT_CAPACITY_RATE",
    "spot_interruption_rate": "FARFLOW_FAULT_SPOT_RATE",
    "start_failure_rate": "FARFLOW_FAULT_START_FAILURE_RATE",
    "server_error_rate": "FARFLOW_FAULT_SERVER_ERROR_RATE",
    "event_drop_rate": "FARFLOW_FAULT_EVENT_DROP_RATE",
    "event_duplicate_rate": "FARFLOW_FAULT_EVENT_DUPLICATE_RATE",
    "event_reorder_rate": "FARFLOW_FAULT_EVENT_REORDER_RATE",
    "seed": "FARFLOW_FAULT_SEED",
    "error": "FARFLOW_FAULT_ERROR",
    "error_operations": "FARFLOW_FAULT_ERROR_OPERATIONS",
    "hold": "FARFLOW_FAULT_HOLD",
    "run_task_answer_delay_ms": "FARFLOW_FAULT_RUN_TASK_ANSWER_DELAY_MS",
}
RATES = (
    "throttle_rate",
    "capacity_rate",
    "spot_interruption_rate",
    "start_failure_rate",
    "event_drop_rate",
    "event_duplicate_rate",
    "event_reorder_rate",
    "server_error_rate",
)

ERRORS: dict[str, tuple[int, str]] = {
    "ExpiredTokenException": (400, "The security token included in the request is expired"),
    "UnrecognizedClientException": (400, "The security token included in the request is invalid."),
    "AccessDeniedException": (400, "User is not authorized to perform this action on this resource."),
    "ServerException": (500, "Service Unavailable. Please try again later."),
}
"""The AWS errors `error` can answer with: HTTP status and ECS's message for each code."""
HOLD_LIMIT_SECONDS = 120.0  # a held call is answered after this long even if `hold` stays on


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
    # Task state change events (eventbridge.py): lost, delivered twice, delivered late (after later ones).
    event_drop_rate: float = 0.0
    event_duplicate_rate: float = 0.0
    event_reorder_rate: float = 0.0
    # Switches: ECS calls answer `error` (one of ERRORS; only `error_operations` if any), or wait unanswered.
    error: str | None = None
    error_operations: tuple[str, ...] = ()
    hold: bool = False
    # RunTask's answer held this long after its tasks were created: a caller that dies meanwhile never
    # learns of tasks that run anyway (a scheduler killed with RunTask calls in flight).
    run_task_answer_delay_ms: int = 0
    # RunTask answered HTTP 500 after its tasks were created: the caller must retry with its clientToken.
    server_error_rate: float = 0.0

    def __post_init__(self) -> None:
        for field in fields(self):
            problem = _problem(field.name, getattr(self, field.name))
            if problem:
                raise FaultSettingsError(f"{field.name} is {getattr(self, field.name)!r}; {problem}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> FaultSettings:
        """Read the FARFLOW_FAULT_* variables; unset or empty ones keep their defaults."""
        source = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name, variable in ENV_VARS.items():
            raw = source.get(variable, "").strip()
            if not raw:
                continue
            value = _parse(name, raw)
            problem = _problem(name, value)
            if problem:
                raise FaultSettingsError(f"{variable} is {raw!r}; {problem}")
            values[name] = value
        return cls(**values)  # type: ignore[arg-type]


def _parse(name: str, raw: str) -> object:
    """One variable's text as its setting's type; NaN (which no check accepts) if it is not a number."""
    if name == "error":
        return raw
    if name == "error_operations":
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if name == "hold":
        return {"1": True, "true": True, "0": False, "false": False}.get(raw.lower(), raw)
    try:
        return float(raw) if name in RATES else int(raw)
    except ValueError:
        return math.nan


def _problem(name: str, value: object) -> str | None:
    """What is wrong with one setting's value, phrased as the fix; None if it is fine."""
    if name == "error":
        return None if value is None or value in ERRORS else f"use one of {', '.join(ERRORS)}."
    if name == "error_operations":
        ok = isinstance(value, tuple) and all(isinstance(item, str) and item for item in value)
        return None if ok else "use ECS operation names such as DescribeTasks,RunTask."
    if name == "hold":
        return None if isinstance(value, bool) else "use true or false (1 or 0)."
    if name in RATES:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and 0.0 <= value <= 1.0
        return None if ok else "use a number from 0.0 to 1.0."
    if name in ("latency_ms", "run_task_answer_delay_ms"):
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        return None if ok else "use a whole number of milliseconds >= 0."
    ok = value is None or (isinstance(value, int) and not isinstance(value, bool))
    return None if ok else "use a whole number (or leave it unset for a random seed)."


@dataclass(frozen=True)
class EventFate:
    """What happens to one task state change event on its way to the bus."""

    dropped: bool = False
    duplicated: bool = False  # delivered twice
    delayed: bool = False  # held back, so later events of the same task overtake it


class FaultDice:
    """Rolls for one `FaultSettings`; thread-safe, reproducible for a given seed and call order."""

    def __init__(self, settings: FaultSettings) -> None:
        self.settings = settings
        self._random = random.Random(settings.seed)
        self._events = random.Random(None if settings.seed is None else f"events-{settings.seed}")
        self._lock = threading.Lock()
        self._hits: Counter[str] = Counter()

    def _hit(self, rate: str) -> bool:
        """One draw against the setting named `rate`; a hit is counted under that name."""
        with self._lock:
            hit: bool = self._random.random() < float(getattr(self.settings, rate))
            if hit:
                self._hits[rate] += 1
            return hit

    def hits(self) -> dict[str, int]:
        """How often each fault was injected so far, by rate name (throttle_rate, ...): for tests' reports."""
        with self._lock:
            return dict(self._hits)

    def throttle(self) -> bool:
        return self._hit("throttle_rate")

    def no_capacity(self) -> bool:
        return self._hit("capacity_rate")

    def server_error(self) -> bool:
        """Whether a RunTask that created its tasks is answered with a 5xx anyway."""
        return self._hit("server_error_rate")

    def launch_outcome(self) -> str | None:
        """'spot', 'start_failure' or None (starts normally) for one launched task."""
        spot = self._hit("spot_interruption_rate")
        start_failure = self._hit("start_failure_rate")
        if spot:
            return "spot"
        return "start_failure" if start_failure else None

    def error_for(self, operation: str) -> str | None:
        """The AWS error code an ECS `operation` answers with instead of its answer, if any."""
        error, only = self.settings.error, self.settings.error_operations
        return error if error is not None and (not only or operation in only) else None

    def event_fate(self) -> EventFate:
        """One task state change event's fate: three draws (drop, duplicate, delay) from the events' sequence."""
        settings = self.settings
        with self._lock:
            draws = [self._events.random() for _ in range(3)]
        return EventFate(
            dropped=draws[0] < settings.event_drop_rate,
            duplicated=draws[1] < settings.event_duplicate_rate,
            delayed=draws[2] < settings.event_reorder_rate,
        )


class FaultSwitch:
    """An endpoint's current dice, read per request and replaced whole when the settings change."""

    def __init__(self, settings: FaultSettings) -> None:
        self.dice = FaultDice(settings)

    def set(self, settings: FaultSettings) -> None:
        self.dice = FaultDice(settings)
