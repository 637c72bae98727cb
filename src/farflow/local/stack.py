"""The local stack: the loopback ECS endpoint plus Airflow's components, started and stopped as one.

    endpoint (in this process) -> seed network and task definitions -> `airflow db migrate`
    -> api-server, scheduler, dag-processor, triggerer -> wait until /api/v2/monitor/health is all green

`stop()` ends the components (each with its process tree) and then the endpoint, which ends every
task process it started. Everything is written under `<project>/.farflow`.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from farflow.local import processes
from farflow.local.api import AirflowApi
from farflow.local.components import COMPONENTS, airflow_argv, component_argv, stop_order, unhealthy
from farflow.local.environment import (
    STACK_MARKER,
    Network,
    StackConfigError,
    StackLayout,
    airflow_task_env,
    check_database_url,
    component_env,
    default_database_url,
    task_base_env,
)
from farflow.local.ports import ensure_free
from farflow.local.seed import seed_network, seed_task_definitions
from farflow.local.state import ADMIN_USER, Secrets, StateDir

MIGRATE_TIMEOUT = 300.0
HEALTH_TIMEOUT = 240.0


class ProjectError(ValueError):
    """The project folder is missing or not a farflow project; the message says what to do."""


@dataclass(frozen=True)
class StackOptions:
    """What a user chooses: the project, the UI port, the metadata database."""

    project: Path
    api_port: int = 8080
    database_url: str | None = None
    region: str = "us-east-1"


def check_project(project: Path) -> Path:
    """The resolved project folder, or ProjectError naming what is missing and how to create it."""
    project = project.expanduser()
    if not project.is_dir():
        raise ProjectError(
            f"Project folder {project} does not exist. Create one with `farflow init {project}`, or pass "
            "--project with the folder of an existing farflow project."
        )
    if not (project / "dags").is_dir():
        raise ProjectError(
            f"{project} has no dags/ folder, so it is not a farflow project. Run `farflow init {project} "
            "--force` to add the sample project, or create dags/ with your DAG files."
        )
    return project.resolve()


def check_database(url: str) -> None:
    """Connect once, so a wrong URL fails with a clear message before any component starts."""
    import importlib.util

    import sqlalchemy

    if url.startswith("postgresql") and importlib.util.find_spec("asyncpg") is None:
        raise StackConfigError(
            "Airflow needs the asyncpg driver for its async connection to PostgreSQL, and it is not "
            "installed. Install it (`pip install asyncpg`) or use the default SQLite database."
        )

    try:
        engine = sqlalchemy.create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as error:
        shown = sqlalchemy.engine.make_url(url).render_as_string(hide_password=True)
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise StackConfigError(
            f"Cannot connect to the metadata database {shown}: {first}. Create the database (e.g. "
            "`createdb -h 127.0.0.1 -U postgres farflow`) or fix --database-url / FARFLOW_DATABASE_URL."
        ) from None


class LocalStack:
    """One running local farflow: use as a context manager, or call start() and stop()."""

    def __init__(self, options: StackOptions, report: Callable[[str], None] | None = None) -> None:
        self.options = options
        self.project = check_project(options.project)
        self.state = StateDir.for_project(self.project)
        self.report = report or (lambda _message: None)
        self.secrets: Secrets | None = None
        self.layout: StackLayout | None = None
        self.network: Network | None = None
        self.endpoint: Any = None
        self.components: dict[str, processes.ManagedProcess] = {}
        self.stack_id = uuid.uuid4().hex
        self.swept: list[int] = []

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        options = self.options
        ensure_free(options.api_port)
        database_url = check_database_url(options.database_url or default_database_url(self.state))
        if options.database_url:
            check_database(database_url)  # before anything is written; SQLite's file comes with migrate
        self.secrets = self.state.prepare()

        self.report("Starting the local ECS endpoint")
        from farflow.local.endpoint import FaultSettings, ImageResolver, LocalEcsEndpoint

        self.endpoint = LocalEcsEndpoint(
            host="127.0.0.1",
            port=0,
            faults=FaultSettings.from_env(),
            images=ImageResolver(project_dir=self.project, python=sys.executable),
            execute=True,
            base_env=task_base_env(os.environ, self.stack_id),
            region=options.region,
        )
        self.endpoint.start()
        endpoint_url = str(self.endpoint.url)
        self.layout = StackLayout(
            project=self.project,
            state=self.state,
            api_port=options.api_port,
            endpoint_url=endpoint_url,
            database_url=database_url,
            region=options.region,
            stack_id=self.stack_id,
        )
        self.network = seed_network(endpoint_url, options.region)
        seed_task_definitions(
            endpoint_url,
            options.region,
            airflow_task_env(self.layout, self.network, self.secrets),
            self.project,
        )
        env = component_env(os.environ, self.layout, self.network, self.secrets)

        self.report("Migrating the metadata database")
        processes.run(
            "airflow db migrate",
            airflow_argv("db", "migrate"),
            env,
            self.state.logs / "migrate.log",
            MIGRATE_TIMEOUT,
        )

        self.report("Starting api-server, scheduler, dag-processor and triggerer")
        for name in COMPONENTS:
            argv = component_argv(name, options.api_port)
            self.components[name] = processes.start(
                name, argv, env, self.state.logs / f"{name}.log", self.project
            )
        self.report("Waiting for every component to report healthy")
        api = AirflowApi(self.layout.api_url)
        processes.wait_for(
            lambda: True if not unhealthy(api.health()) else None,
            timeout=HEALTH_TIMEOUT,
            what=f"Airflow to report healthy at {self.layout.api_url}/api/v2/monitor/health "
            f"(logs in {self.state.logs})",
            watch=list(self.components.values()),
        )

    def stop(self) -> None:
        """Stop the components (scheduler first), then the endpoint and its task processes, then any
        process still marked as this stack's. Idempotent."""
        running = [self.components[name] for name in stop_order(list(self.components))]
        self.components = {}
        # Components and ECS task processes each run in a session of their own: remember them all.
        session_ids = processes.sessions(processes.tree(os.getpid())[1:])
        try:
            processes.stop(running)
        finally:
            endpoint, self.endpoint = self.endpoint, None
            try:
                if endpoint is not None:
                    endpoint.stop()
            finally:
                self.swept += processes.sweep(session_ids, STACK_MARKER, self.stack_id)

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # -- using it --------------------------------------------------------------------------------------

    @property
    def admin_password(self) -> str:
        assert self.secrets is not None, "start() the stack first"
        return self.secrets.admin_password

    def api(self) -> AirflowApi:
        """A REST client logged in as the admin."""
        assert self.layout is not None, "start() the stack first"
        client = AirflowApi(self.layout.api_url)
        client.login(ADMIN_USER, self.admin_password)
        return client

    def aws_client(self, service: str) -> Any:
        """A boto3 client (ecs, logs, ec2) against the local endpoint."""
        import boto3

        assert self.layout is not None, "start() the stack first"
        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=self.layout.endpoint_url,
            region_name=self.layout.region,
            aws_access_key_id="farflow-local",
            aws_secret_access_key="farflow-local",
        )

    def running_components(self) -> dict[str, int]:
        return {name: process.pid for name, process in self.components.items() if process.alive()}
