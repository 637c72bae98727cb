"""What the tracker knows of one ECS task, and how a new view of it changes that: a pure reducer.

Views come from two places that disagree in time: ECS task state change events (at least once, in no
particular order, sometimes lost) and DescribeTasks answers (current when ECS answered, but possibly
overtaken by an event before the answer is read). ECS counts every change of a task in its `version`, in
events and in DescribeTasks alike, so the newest version wins whatever its source: an older version is
stale, the same version a duplicate, and neither changes anything. Without versions (an endpoint that
does not report them) the phase decides: a task never goes back from running to pending, and stopped
is final.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from farflow.executor.outcomes import task_phase

Phase = Literal["adopted", "pending", "running", "stopped"]
_RANK = {"adopted": -1, "pending": 0, "running": 1, "stopped": 2}


@dataclass(frozen=True)
class View:
    """One view of a task: a DescribeTasks `tasks` item or an event's `detail`."""

    arn: str
    phase: Literal["pending", "running", "stopped"]
    version: int | None
    task: Mapping[str, Any]
    described: bool  # True: DescribeTasks (ECS's state as it answered); False: an event
    at: float | None = None  # an event's time (Unix seconds): how old its news is when it arrives


def view_of(task: Mapping[str, Any], described: bool, at: float | None = None) -> View:
    version = task.get("version")
    valid = isinstance(version, int) and not isinstance(version, bool)
    return View(str(task["taskArn"]), task_phase(task), version if valid else None, task, described, at)


@dataclass(frozen=True)
class Known:
    """What the tracker knows of one task."""

    phase: Phase
    version: int | None = None
    # When the newest thing known was true (the tracker's clock): a description's answer, or an event's
    # time. An event that waited in the queue is news only as of when it happened.
    heard_at: float = float("-inf")


class Freshness(enum.Enum):
    """How a view compares with what is known: news to report, news without a phase change, or none."""

    CHANGED = "changed"  # newer, and the phase changed: report it
    NEWER = "newer"  # newer, same phase (desiredStatus, a container): nothing to report
    DUPLICATE = "duplicate"  # the version (or phase) already known
    STALE = "stale"  # older than what is known


def reduce(known: Known, view: View, now: float) -> tuple[Known, Freshness]:
    """The new knowledge, and how fresh the view was; `now` is when the view was true. A description confirms
    the state as of then even when it is not newer, so it resets `heard_at`; a duplicate or stale event
    does not."""
    if known.phase == "stopped":
        return known, Freshness.DUPLICATE if view.phase == "stopped" else Freshness.STALE
    if view.version is not None and known.version is not None:
        order = (view.version > known.version) - (view.version < known.version)
    elif view.phase == known.phase:
        order = 1 if view.version is not None else 0  # the first version seen is news
    else:
        order = 1 if _RANK[view.phase] > _RANK[known.phase] else -1
    if order < 0:
        return known, Freshness.STALE
    if order == 0:
        return (replace(known, heard_at=now) if view.described else known), Freshness.DUPLICATE
    updated = Known(view.phase, view.version if view.version is not None else known.version, now)
    return updated, Freshness.CHANGED if view.phase != known.phase else Freshness.NEWER
