"""deep_merge: maps merge, ECS's keyed lists merge by key, everything else is replaced; inputs untouched."""

from __future__ import annotations

import copy

from farflow.executor.request.merge import deep_merge, merge_keyed_list


def test_mappings_merge_and_scalars_and_plain_lists_are_replaced() -> None:
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 1}
    assert deep_merge(base, {"a": {"y": [3]}, "c": 2}) == {"a": {"x": 1, "y": [3]}, "b": 1, "c": 2}


def test_keyed_lists_merge_by_their_key() -> None:
    base = {
        "containerOverrides": [
            {"name": "airflow", "command": ["run"], "environment": [{"name": "A", "value": "1"}]},
            {"name": "sidecar", "cpu": 16},
        ]
    }
    override = {
        "containerOverrides": [
            {"name": "airflow", "environment": [{"name": "A", "value": "2"}, {"name": "B", "value": "3"}]},
            {"name": "new", "cpu": 8},
        ]
    }
    assert deep_merge(base, override) == {
        "containerOverrides": [
            {
                "name": "airflow",
                "command": ["run"],
                "environment": [{"name": "A", "value": "2"}, {"name": "B", "value": "3"}],
            },
            {"name": "sidecar", "cpu": 16},
            {"name": "new", "cpu": 8},
        ]
    }


def test_items_without_the_key_are_appended() -> None:
    assert merge_keyed_list([{"key": "a", "value": "1"}], [{"value": "x"}], "key") == [
        {"key": "a", "value": "1"},
        {"value": "x"},
    ]


def test_inputs_are_not_changed_and_results_share_nothing() -> None:
    base = {"tags": [{"key": "a", "value": "1"}], "n": {"list": [1]}}
    override = {"tags": [{"key": "a", "value": "2"}], "m": {"list": [2]}}
    before = copy.deepcopy((base, override))
    merged = deep_merge(base, override)
    merged["n"]["list"].append(9)
    merged["m"]["list"].append(9)
    assert (base, override) == before
