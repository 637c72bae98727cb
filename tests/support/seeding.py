"""The seed's RegisterTaskDefinition request for one task folder, as the tests read it alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from farflow.local.layout import DEFAULT_NAMES
from farflow.local.seed import register_request
from farflow.spec import Names
from farflow.spec.task_definitions import folder_task_shape


def folder_task_definition(folder: Path, region: str, names: Names = DEFAULT_NAMES) -> dict[str, Any]:
    """RegisterTaskDefinition kwargs for one tasks/<name> folder (SeedError if ECS cannot name it), as
    `seed_task_definitions` registers it without roles."""
    return register_request(folder_task_shape(folder, names), region)
