"""The plugin's app behind Airflow's own REST API security: the real `requires_access_dag` and `get_user`,
with an auth manager that knows two users, and the event log rows given in place of the database."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from farflow.ui.app import create_app
from farflow.ui.plugin import PREFIX

EXTRA = (
    "arn:aws:ecs:us-east-1:123456789012:task/farflow/abc123: ECS task stopped (EssentialContainerExited); "
    "container 'airflow' stopped with exit code 0; cost $0.000823 (60 s billed: 1 vCPU, 2 GB, x86_64, "
    "Fargate; us-east-1 prices of 2026-06); phases: queued 0.100 s, provisioning 2.000 s, pull 1.000 s, "
    "start 0.500 s, run 4.000 s, stop 0.200 s"
)
ROW = SimpleNamespace(
    event="ecs task stopped",
    dag_id="etl",
    run_id="r1",
    task_id="load",
    map_index=-1,
    try_number=1,
    dttm=datetime(2026, 6, 1, tzinfo=timezone.utc),
    extra=EXTRA,
)


class AuthManager:
    """Tokens "reader" (may read the DAG etl only) and "nobody" (no DAG); anything else is invalid."""

    async def get_user_from_token(self, token: str) -> Any:
        from jwt import InvalidTokenError

        if token not in {"reader", "nobody"}:
            raise InvalidTokenError("bad token")
        return SimpleNamespace(name=token)

    def is_authorized_dag(self, *, method: str, access_entity: Any, details: Any, user: Any) -> bool:
        return method == "GET" and user.name == "reader" and details.id == "etl"


class Session:
    def scalars(self, query: Any) -> list[Any]:
        return [ROW]


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from airflow.api_fastapi.common.db.common import _get_session
    from airflow.api_fastapi.core_api import security
    from airflow.models.dag import DagModel

    monkeypatch.setattr(security, "get_auth_manager", AuthManager)
    monkeypatch.setattr(DagModel, "get_team_name", staticmethod(lambda dag_id: None))
    plugin = create_app()
    plugin.dependency_overrides[_get_session] = Session
    root = FastAPI()
    root.mount(PREFIX, plugin)
    with TestClient(root) as test_client:
        yield test_client


PATHS = ("/farflow/api/runs/etl/r1", "/farflow/runs/etl/r1", "/farflow/api/dags/etl", "/farflow/dags/etl")


@pytest.mark.parametrize("path", PATHS)
def test_without_a_login_there_is_no_data(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 401
    assert "abc123" not in answer.text


@pytest.mark.parametrize("path", PATHS)
def test_a_user_who_may_not_read_the_dag_is_refused(client: TestClient, path: str) -> None:
    for headers in ({"Authorization": "Bearer nobody"}, {"Authorization": "Bearer forged"}):
        answer = client.get(path, headers=headers)
        assert answer.status_code == 403, (headers, answer.text)
        assert "abc123" not in answer.text


def test_a_reader_gets_the_runs_json_by_header_or_by_the_uis_cookie(client: TestClient) -> None:
    by_header = client.get("/farflow/api/runs/etl/r1", headers={"Authorization": "Bearer reader"})
    client.cookies.set("_token", "reader")
    by_cookie = client.get("/farflow/api/runs/etl/r1")
    assert by_header.status_code == by_cookie.status_code == 200
    assert by_header.json() == by_cookie.json()
    report = by_header.json()
    assert report["cost_usd"] == 0.000823
    [task] = report["tasks"]
    assert task["ecs_task_id"] == "abc123" and task["phases"]["pull"] == 1.0 and task["exit_code"] == 0


def test_on_aws_the_run_page_links_each_ecs_task_to_the_console(client: TestClient) -> None:
    page = client.get("/farflow/runs/etl/r1", headers={"Authorization": "Bearer reader"})
    assert page.status_code == 200
    assert "us-east-1.console.aws.amazon.com/ecs/v2/clusters/farflow/tasks/abc123" in page.text


def test_installing_farflow_installs_the_plugin_airflow_loads() -> None:
    from importlib.metadata import entry_points

    from farflow.ui.plugin import FarflowPlugin

    [entry] = [e for e in entry_points(group="airflow.plugins") if e.name == "farflow"]
    assert entry.load() is FarflowPlugin
    [mounted] = FarflowPlugin.fastapi_apps
    assert mounted["url_prefix"] == PREFIX
    routes = {view["destination"]: view["href"] for view in FarflowPlugin.external_views}
    assert routes == {"dag_run": "farflow/runs/{DAG_ID}/{RUN_ID}", "dag": "farflow/dags/{DAG_ID}"}


def test_on_aws_there_is_no_endpoint_record_to_serve(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIRFLOW__ECS_FARGATE__ENDPOINT_URL", raising=False)
    answer = client.get("/farflow/api/ecs-tasks/etl/abc123", headers={"Authorization": "Bearer reader"})
    assert answer.status_code == 404
    assert client.get("/farflow/api/ecs-tasks/etl/abc123").status_code == 401


def test_the_plugins_app_is_built_on_its_first_request_and_serves_under_its_prefix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from airflow.api_fastapi.core_api import security

    from farflow.ui.plugin import BuiltOnFirstRequest, FarflowPlugin

    monkeypatch.setattr(security, "get_auth_manager", AuthManager)
    [mounted] = FarflowPlugin.fastapi_apps
    lazy = mounted["app"]
    assert isinstance(lazy, BuiltOnFirstRequest)
    root = FastAPI()
    root.mount(mounted["url_prefix"], lazy)
    with TestClient(root) as test_client:
        assert test_client.get("/farflow/api/runs/etl/r1").status_code == 401
        assert test_client.get("/farflow/nowhere").status_code == 404


def test_a_task_process_that_loads_plugins_imports_neither_fastapi_nor_the_api_server() -> None:
    """Every task's runner loads plugins (for macros): the plugin must cost it nothing."""
    code = (
        "import sys, airflow.sdk.execution_time.task_runner\n"
        "before = set(sys.modules)\n"
        "import farflow.ui.plugin\n"
        "print(sorted(set(sys.modules) - before))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    new = output.stdout.strip()
    assert "fastapi" not in new and "api_fastapi" not in new and "farflow.ui.app" not in new, new
