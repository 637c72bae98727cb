"""Airflow's own components, as the local stack runs them: argv, start order, and what "healthy" means.

Which components exist and what each runs come from `farflow.spec`. `airflow standalone` would replace
farflow's executor with the LocalExecutor, so the stack starts api-server, scheduler, dag-processor and
triggerer itself, each as `python -m airflow <command>`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from farflow.spec import COMPONENTS as SPEC_COMPONENTS
from farflow.spec import MIGRATION, Component

COMPONENTS = tuple(component.name for component in SPEC_COMPONENTS)
# What the local stack starts from the spec, by name: the four components and the migration.
BY_NAME: Mapping[str, Component] = {component.name: component for component in (*SPEC_COMPONENTS, MIGRATION)}
# The scheduler ends its executor's workers itself, in order (a LocalExecutor worker first finishes its
# task): never hurried. The others are hurried once they have had this long to stop (see
# component_processes._hurry: Airflow's triggerer can otherwise sit out a 10 s escalation for nothing).
ENDS_ITS_CHILDREN_ITSELF = frozenset({"scheduler"})
HURRY_AFTER = 2.0
HEALTH_KEYS = {
    "metadatabase": "metadatabase",
    "scheduler": "scheduler",
    "triggerer": "triggerer",
    "dag_processor": "dag-processor",
}


def spec_component(name_or_component: str | Component) -> Component:
    """The spec component the local stack runs under this name."""
    if isinstance(name_or_component, Component):
        return name_or_component
    try:
        return BY_NAME[name_or_component]
    except KeyError:
        raise ValueError(
            f"Unknown Airflow component {name_or_component!r}; expected one of {', '.join(BY_NAME)}."
        ) from None


def airflow_argv(*arguments: str, python: str = sys.executable) -> list[str]:
    return [python, "-m", "airflow", *arguments]


# Airflow's CLI warns on import, through its logs on stdout, that graphviz is missing (`airflow dags show`
# needs it); that line would break the output of `dags list -o json` and the like.
QUIET_CLI_WARNINGS = "ignore:Could not import graphviz"


def cli_environment(environment: Mapping[str, str]) -> dict[str, str]:
    """`environment` for the airflow CLI: its stdout keeps only the command's output."""
    warnings = ",".join(filter(None, (environment.get("PYTHONWARNINGS"), QUIET_CLI_WARNINGS)))
    return {**environment, "PYTHONWARNINGS": warnings}


def component_argv(name: str, api_port: int, python: str = sys.executable) -> list[str]:
    """The command line of one component: the spec's command plus what one machine needs."""
    command = spec_component(name).command
    if name == "api-server":
        return airflow_argv(
            *command, "--host", "127.0.0.1", "--port", str(api_port), "--workers", "1", python=python
        )
    if name in {"scheduler", "triggerer"}:
        # Every process shares this disk, so the api-server reads task logs from files; no log server
        # (it would listen on all interfaces, on a fixed port).
        return airflow_argv(*command, "--skip-serve-logs", python=python)
    return airflow_argv(*command, python=python)


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


def hurry(names: Sequence[str]) -> dict[str, float]:
    """Which components a stop hurries along, and after how many seconds (component_processes.stop)."""
    return {name: HURRY_AFTER for name in names if name not in ENDS_ITS_CHILDREN_ITSELF}
