"""ECS's tag rules, and turning any text (a dag id, a run id) into a tag value ECS accepts."""

from __future__ import annotations

import pytest

from farflow.executor.request import clean_tag_value
from farflow.executor.request.tags import MAX_VALUE_LENGTH, tag_problem, tags_to_list, tags_to_map


@pytest.mark.parametrize(
    ("value", "cleaned"),
    [
        pytest.param("manual__2026-01-01T00:00:00+00:00", "manual__2026-01-01T00:00:00+00:00", id="run-id"),
        pytest.param("nightly run #3; retry", "nightly run _3_ retry", id="punctuation"),
        pytest.param("tab\there\nnewline", "tab_here_newline", id="control-whitespace"),
        pytest.param("ünïcödé Ωmega\u00a0٣", "ünïcödé Ωmega\u00a0٣", id="unicode-letters-numbers-spaces"),
        pytest.param(7, "7", id="not-text"),
        pytest.param("x" * 300, "x" * MAX_VALUE_LENGTH, id="too-long"),
    ],
)
def test_any_text_cleans_to_a_value_ecs_accepts(value: object, cleaned: str) -> None:
    assert clean_tag_value(value) == cleaned
    assert tag_problem("airflow:run_id", cleaned) is None


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        pytest.param("team", 7, "string", id="value-not-text"),
        pytest.param("", "x", "1-128", id="empty-key"),
        pytest.param("k" * 129, "x", "1-128", id="key-too-long"),
        pytest.param("team", "v" * 257, "longer than 256", id="value-too-long"),
        pytest.param("AWS:cost", "x", "aws:", id="reserved-prefix"),
        pytest.param("team", "data;drop", "character", id="bad-character"),
        pytest.param("team", "a\tb", "character", id="tab"),
    ],
)
def test_tags_ecs_refuses_say_why(key: str, value: object, expected: str) -> None:
    problem = tag_problem(key, value)
    assert problem is not None and expected in problem


@pytest.mark.parametrize("value", ["s3cret;value", "s3cret-value" * 30])
def test_a_refused_value_is_never_quoted(value: str) -> None:
    problem = tag_problem("token", value)
    assert problem is not None and "s3cret" not in problem


def test_tags_convert_between_ecs_lists_and_dicts() -> None:
    listed = [{"key": "team", "value": "data"}, {"value": "no key"}, {"key": "team", "value": "ml"}]
    assert tags_to_map(listed) == {"team": "ml"}
    assert tags_to_list({"team": "ml", "owner": "ana"}) == [
        {"key": "team", "value": "ml"},
        {"key": "owner", "value": "ana"},
    ]
