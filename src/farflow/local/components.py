"""Airflow's own components, as the local stack runs them: argv, start order, and what "healthy" means.

`airflow standalone` would replace farflow's executor with the LocalExecutor, so the stack starts
api-server, scheduler, dag-processor and triggerer itself, each as `python -m airflow <command>`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
# Stop the scheduler first so nothing new launches, the api-server last so running tasks can report.
STOP_ORDER = ("scheduler", "triggerer", "dag-processor", "api-server")
HEALTH_KEYS = {
    "metadatabase": "metadatabase",
    "scheduler": "scheduler",
    "triggerer": "triggerer",
    "dag_processor": "dag-processor",
}


def airflow_argv(*arguments: str, python: str = sys.executable) -> list[str]:
    return [python, "-m", "airflow", *arguments]


def component_argv(name: str, api_port: int, python: str = sys.executable) -> list[str]:
    """The command line of one component."""
    if name == "api-server":
        return airflow_argv(
            "api-server", "--host", "127.0.0.1", "--port", str(api_port), "--workers", "1", python=python
        )
    if name in {"scheduler", "triggerer"}:
        # Every process shares this disk, so the api-server reads task logs from files; no log server
        # (it would listen on all interfaces, on a fixed port).
        return airflow_argv(name, "--skip-serve-logs", python=python)
    if name in COMPONENTS:
        return airflow_argv(name, python=python)
    raise ValueError(f"Unknown Airflow component {name!r}; expected one of {', '.join(COMPONENTS)}.")


def unhealthy(health: Mapping[str, Any] | None) -> list[str]:
    """Components the api-server's health document does not report healthy (all of them if none)."""
    if not health:
        return ["api-server", *HEALTH_KEYS.values()]
    missing = []
    for key, name in HEALTH_KEYS.items():
        entry = health.get(key)
        if not isinstance(entry, Mapping) or entry.get("status") != "healthy":
            missing.append(name)
    return missing


def stop_order(names: Sequence[str]) -> list[str]:
    """`names` sorted into the order they should stop in."""
    rank = {name: index for index, name in enumerate(STOP_ORDER)}
    return sorted(names, key=lambda name: rank.get(name, len(rank)))
