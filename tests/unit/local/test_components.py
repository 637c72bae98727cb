"""Component command lines, health reading and stop order."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from farflow.local.components import HURRY_AFTER, component_argv, component_names, hurry, unhealthy
from farflow.local.environment import component_environment
from farflow.local.roles import role_name, role_of_key
from farflow.local.stack_record import StackRecord
from farflow.local.status import Found, StackStatus, component_rows
from farflow.local.supervisor import ComponentState
from farflow.spec import TABLE, Component, Names
from farflow.spec.iam import Role, own_roles
from tests.support.extra_component import EXTRA_RUNNING, extra_component
from tests.support.layouts import SECRETS, SEEDED, example_layout

__all__ = ["extra_component"]  # the fixture, used by name

HEALTHY = {key: {"status": "healthy"} for key in ("metadatabase", "scheduler", "triggerer", "dag_processor")}


def test_api_server_listens_on_loopback_with_one_worker() -> None:
    argv = component_argv("api-server", 8080, python="/py")
    assert argv[:3] == ["/py", "-m", "airflow"]
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert argv[argv.index("--port") + 1] == "8080"


@pytest.mark.parametrize("name", ["scheduler", "triggerer"])
def test_no_log_server_on_all_interfaces(name: str) -> None:
    assert "--skip-serve-logs" in component_argv(name, 8080)


def test_unknown_component_is_named() -> None:
    with pytest.raises(ValueError, match="webserver"):
        component_argv("webserver", 8080)


def test_unhealthy_lists_what_is_not_green() -> None:
    assert unhealthy(HEALTHY) == []
    assert unhealthy(None) == ["api-server", "metadatabase", "scheduler", "dag-processor", "triggerer"]
    partial = {**HEALTHY, "triggerer": {"status": None}}
    del partial["dag_processor"]
    assert unhealthy(partial) == ["dag-processor", "triggerer"]


def test_every_component_but_the_scheduler_is_hurried_when_it_stops_slowly() -> None:
    assert hurry(["api-server", "dag-processor", "scheduler", "triggerer"]) == {
        "api-server": HURRY_AFTER,
        "dag-processor": HURRY_AFTER,
        "triggerer": HURRY_AFTER,
    }


def test_a_new_row_of_the_spec_table_is_a_new_local_process(
    extra_component: Component, tmp_path: Path
) -> None:
    name = extra_component.name
    assert component_names() == ("api-server", "scheduler", "dag-processor", "triggerer", name)
    assert component_argv(name, 8080, python="/py") == [
        "/py",
        "-m",
        "airflow",
        "watchdog",
        "--skip-serve-logs",
    ]
    assert unhealthy(HEALTHY) == [name]
    assert unhealthy({**HEALTHY, "watchdog": {"status": "healthy"}}) == []
    assert name not in hurry(component_names())
    environment = component_environment(name, {}, example_layout(tmp_path), SEEDED, SECRETS)
    assert role_of_key(environment["AWS_ACCESS_KEY_ID"]) == role_name(Names(), Role(name))
    assert Role(name) in own_roles()  # the local seed creates it, as the deploy does
    record = StackRecord.for_this_process(tmp_path, 8080).with_(
        phase="up", components={name: ComponentState(15, "running")}
    )
    status = StackStatus(Found.UP, record, {**HEALTHY, "watchdog": {"status": "unhealthy"}})
    assert component_rows(status)[-1] == (name, "15", "unhealthy", "0", "-")


def test_a_component_airflow_reports_no_health_for_is_up_while_its_process_runs(
    extra_component: Component, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(TABLE, extra_component, replace(EXTRA_RUNNING, health_key=None))
    assert unhealthy(HEALTHY) == []
    record = StackRecord.for_this_process(tmp_path, 8080).with_(
        phase="up", components={extra_component.name: ComponentState(15, "running")}
    )
    assert component_rows(StackStatus(Found.UP, record, HEALTHY))[-1] == (
        extra_component.name,
        "15",
        "running",
        "0",
        "-",
    )
