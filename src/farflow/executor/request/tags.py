"""ECS tag rules, checked before RunTask so a bad tag fails with its key named, not a bare 400."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

MAX_TAGS = 50
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256
_ALLOWED_PUNCTUATION = frozenset("_.:/=+-@")


def _allowed_char(char: str) -> bool:
    # ECS's pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]* (letters, separators, numbers, a little punctuation).
    return char.isalnum() or unicodedata.category(char).startswith("Z") or char in _ALLOWED_PUNCTUATION


def _allowed(text: str) -> bool:
    return all(_allowed_char(char) for char in text)


def clean_tag_value(value: object) -> str:
    """`value` as text ECS accepts in a tag: other characters become "_", and it is cut to the maximum length."""
    return "".join(char if _allowed_char(char) else "_" for char in str(value))[:MAX_VALUE_LENGTH]


def tag_problem(key: object, value: object) -> str | None:
    """None if ECS accepts the tag, else why not. Never quotes the value: it may be sensitive."""
    if not isinstance(key, str) or not isinstance(value, str):
        return f"tag {key!r} must have a string key and a string value"
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        return f"tag key {key[:40]!r} must be 1-{MAX_KEY_LENGTH} characters"
    if len(value) > MAX_VALUE_LENGTH:
        return f"tag {key!r} has a value longer than {MAX_VALUE_LENGTH} characters"
    if key.lower().startswith("aws:"):
        return f"tag key {key!r} uses the prefix 'aws:', which AWS reserves"
    if not _allowed(key) or not _allowed(value):
        return (
            f"tag {key!r} has a character ECS does not allow in tags; use letters, numbers, spaces "
            "and _ . : / = + - @"
        )
    return None


def tags_to_map(tags: Iterable[Any]) -> dict[str, Any]:
    """ECS's [{key, value}] list as a dict (later keys win); items without a key are skipped."""
    return {
        item["key"]: item.get("value", "") for item in tags if isinstance(item, Mapping) and "key" in item
    }


def tags_to_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """A dict as ECS's [{key, value}] list, in the dict's order."""
    return [{"key": key, "value": value} for key, value in tags.items()]
