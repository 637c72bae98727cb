"""farflow's Airflow plugin (entry point `airflow.plugins`), installed with farflow wherever Airflow runs.

Airflow 3.3's plugin interface: `fastapi_apps` (an app the api-server mounts at its url_prefix) and
`external_views` with a `url_route`, which the UI embeds as an iframe tab of a DAG run ("dag_run") and of
a DAG ("dag"). The hrefs are relative, so they resolve against the UI's base URL behind any prefix.

Every Airflow process loads plugins, each task's runner too (for macros), but only the api-server serves
the app: it is built on its first request, so no task pays for importing the api-server's security and
models (seconds per task).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from airflow.plugins_manager import AirflowPlugin

PREFIX = "/farflow"

Asgi = Callable[[Any, Any, Any], Awaitable[None]]


class BuiltOnFirstRequest:
    """An ASGI app that builds the real one when the first request reaches it."""

    def __init__(self, build: Callable[[], Asgi]) -> None:
        self._build = build
        self._app: Asgi | None = None

    @property
    def app(self) -> Asgi:
        if self._app is None:
            self._app = self._build()
        return self._app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def _build() -> Asgi:
    from farflow.ui.app import create_app

    return create_app()


class FarflowPlugin(AirflowPlugin):
    name = "farflow"
    fastapi_apps: list[Any] = [{"app": BuiltOnFirstRequest(_build), "url_prefix": PREFIX, "name": "farflow"}]
    external_views: list[Any] = [
        {
            "name": "Fargate",
            "href": "farflow/runs/{DAG_ID}/{RUN_ID}",
            "destination": "dag_run",
            "url_route": "farflow-run",
        },
        {
            "name": "Fargate cost",
            "href": "farflow/dags/{DAG_ID}",
            "destination": "dag",
            "url_route": "farflow-dag",
        },
    ]
