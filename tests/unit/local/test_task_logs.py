"""A failed task's report: the executor's events, then its log's own lines, without the reader's framing."""

from __future__ import annotations

from farflow.local.task_logs import entry_lines, executor_events, log_lines, meaningful, stream_names


def test_structured_log_messages_become_lines() -> None:
    payload = {
        "content": [
            {"event": "::group::Log message source details"},
            {
                "timestamp": "2026-01-02T03:04:05.678Z",
                "level": "error",
                "event": "Task failed with exception",
            },
            {
                "timestamp": "2026-01-02T03:04:06Z",
                "level": "info",
                "event": "two\nlines",
                "error_detail": [{"exc_type": "ValueError", "exc_value": "bad input"}],
            },
            "a plain line",
        ]
    }
    assert log_lines(payload) == [
        "::group::Log message source details",
        "03:04:05 ERROR Task failed with exception",
        "03:04:06 INFO two",
        "lines",
        "  ValueError: bad input",
        "a plain line",
    ]
    assert log_lines(None) == []


def test_the_log_readers_framing_is_left_out() -> None:
    lines = [
        "::group::Log message source details",
        "Could not read served logs: Hostname not available for worker.",
        "::endgroup::",
        "03:04:05 ERROR boom",
    ]
    assert meaningful(lines) == ["03:04:05 ERROR boom"]


def test_only_the_executors_last_events_are_kept() -> None:
    events = [
        {"event": "running", "extra": None},
        {"event": "ecs task launched", "extra": "arn:1"},
        {"event": "ecs task stopped", "extra": "exit code 3 (EssentialContainerExited)"},
    ]
    assert executor_events(events) == [
        "ecs task launched: arn:1",
        "ecs task stopped: exit code 3 (EssentialContainerExited)",
    ]
    assert executor_events(events, last=1) == ["ecs task stopped: exit code 3 (EssentialContainerExited)"]


def test_a_containers_json_log_lines_read_like_airflows_log() -> None:
    line = '{"timestamp":"2026-01-02T03:04:05Z","level":"error","event":"Task failed","error_detail":[]}'
    assert entry_lines(line) == ["03:04:05 ERROR Task failed"]
    assert entry_lines("Traceback (most recent call last):") == ["Traceback (most recent call last):"]
    assert entry_lines("{not json") == ["{not json"]


def test_awslogs_stream_names_follow_the_driver() -> None:
    container = {
        "name": "airflow",
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": "/farflow/airflow", "awslogs-stream-prefix": "airflow"},
        },
    }
    assert stream_names(container, "abc") == ("/farflow/airflow", "airflow/airflow/abc")
    assert stream_names({"name": "x"}, "abc") is None
