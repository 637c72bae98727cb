"""The reducer: the newest version wins whatever its source; stale and duplicate views change nothing."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from farflow.executor.task_state import Freshness, Known, View, reduce, view_of

ARN = "arn:aws:ecs:us-east-1:123456789012:task/farflow/0123"
LIFE = [("PROVISIONING", 1), ("PENDING", 2), ("RUNNING", 3), ("RUNNING", 4), ("STOPPED", 5)]


def view(status: str, version: int | None, described: bool = False, **fields: Any) -> View:
    return view_of({"taskArn": ARN, "lastStatus": status, "version": version, **fields}, described)


def test_a_newer_version_with_another_phase_is_reported() -> None:
    known, freshness = reduce(Known("pending", 2, heard_at=0.0), view("RUNNING", 3), now=5.0)
    assert freshness is Freshness.CHANGED
    assert known == Known("running", 3, heard_at=5.0)


def test_a_newer_version_in_the_same_phase_is_recorded_but_not_reported() -> None:
    known, freshness = reduce(
        Known("running", 3, heard_at=0.0), view("RUNNING", 4, desiredStatus="STOPPED"), 5.0
    )
    assert (known, freshness) == (Known("running", 4, heard_at=5.0), Freshness.NEWER)


def test_an_older_version_is_stale_even_with_a_later_phase_name() -> None:
    before = Known("running", 4, heard_at=1.0)
    assert reduce(before, view("PENDING", 2), 5.0) == (before, Freshness.STALE)
    assert reduce(before, view("RUNNING", 3, described=True), 5.0) == (before, Freshness.STALE)


def test_a_duplicate_event_changes_nothing_but_a_description_confirms_the_state() -> None:
    before = Known("running", 3, heard_at=1.0)
    assert reduce(before, view("RUNNING", 3), 5.0) == (before, Freshness.DUPLICATE)
    assert reduce(before, view("RUNNING", 3, described=True), 5.0) == (
        Known("running", 3, heard_at=5.0),
        Freshness.DUPLICATE,
    )


def test_stopped_is_final() -> None:
    done = Known("stopped", 5, heard_at=1.0)
    assert reduce(done, view("STOPPED", 5), 9.0) == (done, Freshness.DUPLICATE)
    assert reduce(done, view("RUNNING", 7), 9.0) == (done, Freshness.STALE)


def test_an_adopted_task_reports_whatever_it_is_first_seen_as() -> None:
    known, freshness = reduce(Known("adopted"), view("PENDING", 2, described=True), 1.0)
    assert (known.phase, freshness) == ("pending", Freshness.CHANGED)


def test_without_versions_the_phase_only_moves_forward() -> None:
    known = Known("running", None, heard_at=0.0)
    assert reduce(known, view("PENDING", None), 1.0)[1] is Freshness.STALE
    assert reduce(known, view("RUNNING", None), 1.0)[1] is Freshness.DUPLICATE
    assert reduce(known, view("STOPPED", None), 1.0) == (
        Known("stopped", None, heard_at=1.0),
        Freshness.CHANGED,
    )


def test_the_first_version_seen_is_news_even_in_the_same_phase() -> None:
    assert reduce(Known("pending", None, heard_at=0.0), view("PROVISIONING", 1), 2.0) == (
        Known("pending", 1, heard_at=2.0),
        Freshness.NEWER,
    )


def test_a_version_that_is_not_a_whole_number_counts_as_none() -> None:
    assert view("RUNNING", True).version is None  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(40))
def test_any_order_with_duplicates_reports_each_phase_once_and_ends_stopped(seed: int) -> None:
    shuffle = random.Random(seed)
    views = [view(status, version) for status, version in LIFE for _ in range(shuffle.randint(1, 3))]
    shuffle.shuffle(views)
    known, reported = Known("pending", heard_at=0.0), []
    for now, seen in zip(itertools.count(1.0), views, strict=False):
        known, freshness = reduce(known, seen, now)
        if freshness is Freshness.CHANGED:
            reported.append(known.phase)
    assert known.phase == "stopped" and known.version == 5
    assert len(reported) == len(set(reported))  # never the same phase twice, never back
    assert reported == sorted(reported, key=["pending", "running", "stopped"].index)
