"""The endpoint's record of each task's steps and container starts: first times kept, bounded, copied out."""

from __future__ import annotations

import pytest

from farflow.local.endpoint import timeline
from farflow.local.endpoint.timeline import Steps, Timeline


def test_a_step_keeps_its_first_time_and_forked_containers_are_listed() -> None:
    record, steps = Timeline(), Steps()
    record.mark("arn:1", steps, "admitted")
    first = steps.times["admitted"]
    record.mark("arn:1", steps, "admitted")
    record.mark("arn:1", steps, "started", forked="main")
    assert record.steps()["arn:1"].times["admitted"] == first
    assert record.steps()["arn:1"].forked == ["main"]


def test_readers_get_copies() -> None:
    record, steps = Timeline(), Steps()
    record.mark("arn:1", steps, "admitted")
    record.steps()["arn:1"].times.clear()
    record.record_start("arn:1", "main", {"k": "v"})
    record.started_containers().clear()
    assert "admitted" in record.steps()["arn:1"].times
    assert [(start.task_arn, start.container) for start in record.started_containers()] == [("arn:1", "main")]


def test_the_oldest_task_is_forgotten_past_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timeline, "TIMELINE_SIZE", 2)
    record = Timeline()
    for arn in ("arn:1", "arn:2", "arn:3"):
        record.mark(arn, Steps(), "admitted")
    assert list(record.steps()) == ["arn:2", "arn:3"]
