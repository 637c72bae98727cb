"""Which DAG import errors `farflow local up` prints: each once, when it appears or its text changes.

The dag-processor parses every file again every few seconds and rewrites each failing file's import
error with a new timestamp, so an error is told apart by its file and its text, not its timestamp. A
file that imports again is forgotten, so the same error coming back later is printed again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class ImportErrorFeed:
    """Feed it the api-server's current import errors; it answers those not yet printed."""

    def __init__(self) -> None:
        self._shown: dict[str, str] = {}

    def new(self, errors: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        current = {str(error.get("filename")): str(error.get("stack_trace")) for error in errors}
        fresh = [
            error
            for error in errors
            if self._shown.get(str(error.get("filename"))) != current[str(error.get("filename"))]
        ]
        self._shown = current
        return fresh
