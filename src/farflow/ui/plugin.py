"""farflow's Airflow plugin (entry point `airflow.plugins`), installed with farflow wherever Airflow runs.

Airflow 3.3's plugin interface: `fastapi_apps` (an app the api-server mounts at its url_prefix) and
`external_views` with a `url_route`, which the UI embeds as an iframe tab of a DAG run ("dag_run") and of
a DAG ("dag"). The hrefs are relative, so they resolve against the UI's base URL behind any prefix.
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

from farflow.ui.app import PREFIX, create_app


class FarflowPlugin(AirflowPlugin):
    name = "farflow"
    fastapi_apps: list[Any] = [{"app": create_app(), "url_prefix": PREFIX, "name": "farflow"}]
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
