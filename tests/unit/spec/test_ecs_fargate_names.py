"""Every `AIRFLOW__ECS_FARGATE__*` variable farflow writes for the executor (the spec's settings, the local
stack's own) names an option of the executor's table: a renamed or mistyped key would otherwise be an
environment variable Airflow reads as an unknown option, and the executor would run on its default."""

from __future__ import annotations

import re
from pathlib import Path

import farflow
from farflow.executor.settings import OPTIONS_BY_NAME, SECTION

PREFIX = f"AIRFLOW__{SECTION.upper()}__"
WRITTEN = re.compile(rf"\b{PREFIX}([A-Z0-9_]+)\b")
SOURCE = Path(farflow.__file__).parent


def written_names() -> dict[str, list[str]]:
    """Each option name the source writes after the prefix, with the files that write it."""
    found: dict[str, list[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for name in WRITTEN.findall(path.read_text()):
            found.setdefault(name.lower(), []).append(str(path.relative_to(SOURCE)))
    return found


def test_every_ecs_fargate_variable_farflow_writes_is_an_option_of_the_table() -> None:
    written = written_names()
    assert {"cluster", "task_definition", "workload_store", "endpoint_url"} <= set(written)  # the walk works
    unknown = {name: files for name, files in written.items() if name not in OPTIONS_BY_NAME}
    assert not unknown, f"not in farflow.executor.settings.OPTIONS: {unknown}"
