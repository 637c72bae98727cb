"""Deep merge for RunTask requests, where some lists are really maps keyed by one field.

ECS spells maps as lists (`containerOverrides` by `name`, `environment` by `name`, `tags` by `key`), so
a plain "override replaces lists" merge would drop the Airflow container's command when a user only
meant to add an environment variable. Lists named in `keyed_lists` merge item by item instead.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

RUN_TASK_KEYED_LISTS: Mapping[str, str] = {
    "containerOverrides": "name",
    "environment": "name",
    "resourceRequirements": "type",
    "tags": "key",
}
"""RunTask lists that behave like maps: list name -> the field that identifies an item."""


def deep_merge(
    base: Mapping[str, Any],
    override: Mapping[str, Any],
    keyed_lists: Mapping[str, str] = RUN_TASK_KEYED_LISTS,
) -> dict[str, Any]:
    """Return a new dict: `override` over `base`; neither input is changed.

    Mappings merge recursively. A list named in `keyed_lists` merges by its key field (items of
    `override` merge into the `base` item with the same key; others are appended in order).
    Any other value in `override` replaces the one in `base`.
    """
    merged: dict[str, Any] = copy.deepcopy(dict(base))
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value, keyed_lists)
        elif key in keyed_lists and isinstance(current, list) and isinstance(value, list):
            merged[key] = merge_keyed_list(current, value, keyed_lists[key], keyed_lists)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def merge_keyed_list(
    base: list[Any],
    override: list[Any],
    field: str,
    keyed_lists: Mapping[str, str] = RUN_TASK_KEYED_LISTS,
) -> list[Any]:
    """Merge two lists of dicts identified by `field`; items without that field are appended."""
    merged = copy.deepcopy(base)
    for item in override:
        index = _find(merged, field, item)
        if index is None:
            merged.append(copy.deepcopy(item))
        else:
            merged[index] = deep_merge(merged[index], item, keyed_lists)
    return merged


def _find(items: list[Any], field: str, item: Any) -> int | None:
    if not isinstance(item, Mapping) or field not in item:
        return None
    for index, candidate in enumerate(items):
        if isinstance(candidate, Mapping) and candidate.get(field) == item[field]:
            return index
    return None
