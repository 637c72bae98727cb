"""The plugin's FastAPI app, mounted by the api-server at /farflow: JSON and pages of the executor's task
events, behind the same login and DAG permissions as Airflow's own REST API.

Each route depends on Airflow's `requires_access_dag` (airflow.api_fastapi.core_api.security), as the
REST API's DAG run routes do: no token or session cookie answers 401, a user who may not read the DAG's
runs 403. The rows come from Airflow's event log table, the one /api/v2/eventLogs (and so `farflow cost`)
reads, parsed by farflow.cost_report.ecs_task_events.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
from airflow.api_fastapi.common.db.common import SessionDep
from airflow.api_fastapi.core_api.security import requires_access_dag
from airflow.models.log import Log
from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from farflow.cost_report import COST_EVENTS, EcsTaskEvent, ecs_task_events
from farflow.ui import pages
from farflow.ui.report import console_url, dag_series, run_report

DAYS = 30


def _read_runs() -> Any:
    """What the REST API's GET of a DAG run requires: a login, and read access to the DAG's runs."""
    return Depends(requires_access_dag(method="GET", access_entity=DagAccessEntity.RUN))


def _events(
    session: Any,
    dag_id: str,
    run_id: str | None = None,
    since: datetime | None = None,
    naming: str | None = None,
) -> list[EcsTaskEvent]:
    """The ECS task endings logged for a DAG (one run, since a time, or whose text names `naming`),
    oldest first."""
    query = select(Log).where(Log.dag_id == dag_id, Log.event.in_(COST_EVENTS)).order_by(Log.id)
    if run_id is not None:
        query = query.where(Log.run_id == run_id)
    if since is not None:
        query = query.where(Log.dttm >= since)
    if naming is not None:
        query = query.where(Log.extra.contains(naming, autoescape=True))
    rows = [
        {
            "event": log.event,
            "dag_id": log.dag_id,
            "run_id": log.run_id,
            "task_id": log.task_id,
            "map_index": log.map_index,
            "try_number": log.try_number,
            "when": log.dttm,
            "extra": log.extra,
        }
        for log in session.scalars(query)
    ]
    return ecs_task_events(rows)


def _local_endpoint() -> str | None:
    """The local stack's ECS endpoint (the executor's [ecs_fargate] endpoint_url), None on AWS."""
    from airflow.configuration import conf

    return conf.get("ecs_fargate", "endpoint_url", fallback=None) or None


def create_app() -> FastAPI:
    app = FastAPI(title="farflow", description="ECS phases, start latency and cost of farflow's tasks")
    access = [_read_runs()]

    def ecs_link(dag_id: str, events: list[EcsTaskEvent]) -> Any:
        arns = {event.ecs_task_id: event.ecs_task_arn for event in events if event.ecs_task_arn}
        local = _local_endpoint() is not None

        def link(ecs_task_id: str) -> str | None:
            if local:  # relative to /farflow/runs/{dag_id}/{run_id}
                return f"../../api/ecs-tasks/{quote(dag_id, safe='')}/{quote(ecs_task_id, safe='')}"
            arn = arns.get(ecs_task_id)
            return console_url(arn) if arn else None

        return link

    @app.get("/api/runs/{dag_id}/{run_id}", dependencies=access)
    def run_json(dag_id: str, run_id: str, session: SessionDep) -> dict[str, Any]:
        """Every ECS-run task of the run: ECS task id, phases (seconds), stop code, exit code, cost."""
        return run_report(_events(session, dag_id, run_id))

    @app.get("/runs/{dag_id}/{run_id}", dependencies=access, response_class=HTMLResponse)
    def run_html(dag_id: str, run_id: str, session: SessionDep) -> str:
        events = _events(session, dag_id, run_id)
        return pages.run_page(dag_id, run_id, run_report(events), ecs_link(dag_id, events))

    @app.get("/api/dags/{dag_id}", dependencies=access)
    def dag_json(dag_id: str, session: SessionDep, days: int = DAYS) -> list[dict[str, Any]]:
        """Per run over the last `days` days: its cost and the median start latency of its ECS tasks."""
        since = datetime.now(timezone.utc) - timedelta(days=days)
        return [vars(point) for point in dag_series(_events(session, dag_id, since=since))]

    @app.get("/dags/{dag_id}", dependencies=access, response_class=HTMLResponse)
    def dag_html(dag_id: str, session: SessionDep, days: int = DAYS) -> str:
        since = datetime.now(timezone.utc) - timedelta(days=days)
        points = dag_series(_events(session, dag_id, since=since))
        return pages.dag_page(
            dag_id, days, points, lambda run_id: f"../runs/{quote(dag_id, safe='')}/{quote(run_id, safe='')}"
        )

    @app.get("/api/ecs-tasks/{dag_id}/{ecs_task_id}", dependencies=access)
    def ecs_task_record(dag_id: str, ecs_task_id: str, session: SessionDep) -> dict[str, Any]:
        """Locally, the endpoint's own record of one of the DAG's ECS tasks (DescribeTasks); on AWS the
        run page links to the ECS console instead."""
        endpoint = _local_endpoint()
        events = _events(session, dag_id, naming=ecs_task_id)
        arn = next((e.ecs_task_arn for e in events if e.ecs_task_id == ecs_task_id), None)
        if endpoint is None or arn is None:
            raise HTTPException(404, f"no local ECS task {ecs_task_id} of DAG {dag_id}")
        return _describe(endpoint, arn)

    return app


def _describe(endpoint: str, arn: str) -> dict[str, Any]:
    import boto3

    from farflow.local.endpoint.server import DUMMY_KEYS

    region, cluster = arn.split(":")[3], arn.split(":", 5)[5].split("/")[1]
    # As the local stack's operator (the command line's keys), not as the api-server, whose role, like
    # the deploy's, may not read ECS: this page exists only locally (on AWS the run page links to the
    # ECS console, read with the user's own console credentials).
    ecs = boto3.client("ecs", region_name=region, endpoint_url=endpoint, **DUMMY_KEYS)  # type: ignore[call-overload]
    answer = ecs.describe_tasks(cluster=cluster, tasks=[arn])
    tasks = answer.get("tasks") or [{}]
    return {
        key: (value.isoformat() if isinstance(value, datetime) else value) for key, value in tasks[0].items()
    }
