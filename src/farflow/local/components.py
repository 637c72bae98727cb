"""Airflow's own components, as the local stack runs them: argv, start order, and what "healthy" means.

Which components exist, what each runs, and what each needs here (health key, log server, stop) come
from `farflow.spec` (`farflow.spec.components.TABLE`); only the api-server's listening address is this
module's own. `airflow standalone` would replace
farflow's executor with the LocalExecutor, so the stack starts api-server, scheduler, dag-processor and
triggerer itself, each as `python -m airflow <command>`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from farflow.spec import API_SERVER, MIGRATION, TABLE, Component, components

HURRY_AFTER = 2.0
# Always in the api-server's health document: the metadata database, which the stack does not start.
METADATABASE = "metadatabase"


def component_names() -> tuple[str, ...]:
    """The long-running components the stack starts, in start order (farflow.spec.components.TABLE)."""
    return tuple(component.name for component in components())


def by_name() -> dict[str, Component]:
    """What the local stack starts from the spec, by name: the long-running components and the migration."""
    return {component.name: component for component in (*components(), MIGRATION)}


def health_keys() -> dict[str, str]:
    """The health document's keys the stack waits for, and the component each names (the api-server
    answers the document itself, so it has none)."""
    found = {METADATABASE: METADATABASE}
    for component, running in TABLE.items():
        if running.health_key is not None:
            found[running.health_key] = component.name
    return found


def spec_component(name_or_component: str | Component) -> Component:
    """The spec component the local stack runs under this name."""
    if isinstance(name_or_component, Component):
        return name_or_component
    known = by_name()
    try:
        return known[name_or_component]
    except KeyError:
        raise ValueError(
            f"Unknown Airflow component {name_or_component!r}; expected one of {', '.join(known)}."
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
    component = spec_component(name)
    command = component.command
    if component == API_SERVER:
        return airflow_argv(
            *command, "--host", "127.0.0.1", "--port", str(api_port), "--workers", "1", python=python
        )
    running = TABLE.get(component)
    if running is not None and running.serves_logs:
        # Every process shares this disk, so the api-server reads task logs from files; no log server
        # (it would listen on all interfaces, on a fixed port).
        return airflow_argv(*command, "--skip-serve-logs", python=python)
    return airflow_argv(*command, python=python)


def unhealthy(health: Mapping[str, Any] | None) -> list[str]:
    """Components the api-server's health document does not report healthy (all of them if none)."""
    keys = health_keys()
    if not health:
        return [API_SERVER.name, *keys.values()]
    missing = []
    for key, name in keys.items():
        entry = health.get(key)
        if not isinstance(entry, Mapping) or entry.get("status") != "healthy":
            missing.append(name)
    return missing


def hurry(names: Sequence[str]) -> dict[str, float]:
    """Which components a stop hurries along, and after how many seconds (component_processes.stop).

    A component that ends its children itself (the scheduler: its executor's workers, in order, a
    LocalExecutor worker first finishing its task) is never hurried. The others are hurried once they have
    had HURRY_AFTER to stop (see component_processes._hurry: Airflow's triggerer can otherwise sit out a
    10 s escalation for nothing)."""
    patient = {component.name for component, running in TABLE.items() if running.ends_its_children_itself}
    return {name: HURRY_AFTER for name in names if name not in patient}
