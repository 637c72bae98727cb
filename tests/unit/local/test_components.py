"""Component command lines, health reading and stop order."""

from __future__ import annotations

import pytest

from farflow.local.components import HURRY_AFTER, component_argv, hurry, unhealthy

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
    assert unhealthy(None) == ["api-server", "metadatabase", "scheduler", "triggerer", "dag-processor"]
    partial = {**HEALTHY, "triggerer": {"status": None}}
    del partial["dag_processor"]
    assert unhealthy(partial) == ["triggerer", "dag-processor"]


def test_every_component_but_the_scheduler_is_hurried_when_it_stops_slowly() -> None:
    assert hurry(["api-server", "dag-processor", "scheduler", "triggerer"]) == {
        "api-server": HURRY_AFTER,
        "dag-processor": HURRY_AFTER,
        "triggerer": HURRY_AFTER,
    }
