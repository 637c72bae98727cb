"""The local stack: the metadata database, the loopback ECS endpoint and Airflow's components, started
and stopped as one.

    claim the project (stack.json) -> the metadata database: a new embedded PostgreSQL copied from the
    migrated template (built first if there is none, database_template.py), an existing one, or the
    user's, then `airflow db migrate` unless copied | meanwhile, on a thread: the endpoint (in this
    process) and its seed (network, task definitions) -> api-server, scheduler, dag-processor,
    triggerer -> wait until /api/v2/monitor/health is all green (the execution API warmed up
    meanwhile) -> supervise them

`stop()` ends the components together (each with its process tree), then the endpoint, which ends every
task process it started, then the database, and removes the record. Everything is written under
`<project>/.farflow`.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from farflow.airflow_api import AirflowApi
from farflow.dags.sync import push_folder
from farflow.local import component_processes, database_template, process_tree, stack_record
from farflow.local.components import component_argv, component_names, hurry, unhealthy
from farflow.local.database import MetadataDatabase
from farflow.local.embedded_database import EmbeddedPostgres
from farflow.local.environment import (
    airflow_task_env,
    check_executor_settings,
    component_environment,
    project_config,
    task_base_env,
)
from farflow.local.iam_mode import iam_mode
from farflow.local.layout import DEFAULT_NAMES, SeededNames, StackLayout
from farflow.local.local_only import STACK_MARKER
from farflow.local.ports import ensure_free
from farflow.local.roles import apply_project_permissions, managed_policy_warning, seed_stack_roles
from farflow.local.seed import endpoint_client, seed_network, seed_task_definitions
from farflow.local.stack_access import StackAccess
from farflow.local.stack_record import StackAlreadyUp, StackRecord
from farflow.local.state import Secrets, StateDir
from farflow.local.supervisor import Supervisor
from farflow.spec import MIGRATION

MIGRATE_TIMEOUT = 300.0
HEALTH_TIMEOUT = 240.0
WARM_UP_TIMEOUT = 60.0  # once healthy, how long start-up still waits for the execution API's warm-up
# The endpoint's address in the migration's environment: it makes no AWS call, and runs before the
# endpoint has an address.
PLACEHOLDER_URL = "http://127.0.0.1:9"


class ProjectError(ValueError):
    """The project folder is missing or not a farflow project; the message says what to do."""


@dataclass(frozen=True)
class StackOptions:
    """What a user chooses: the project, the UI port, the metadata database."""

    project: Path
    api_port: int = 8080
    database_url: str | None = None
    region: str = "us-east-1"
    # DAGs from a bundle in the endpoint's S3, as on AWS (`farflow dags push --local` updates it),
    # instead of dags/ read in place.
    dag_bundle: bool = False


def check_project(project: Path) -> Path:
    """The resolved project folder, or ProjectError naming what is missing and how to create it."""
    project = project.expanduser()
    if not project.is_dir():
        raise ProjectError(
            f"Project folder {project} does not exist. Create one with `farflow init {project}`, or pass "
            "--project with the folder of an existing farflow project."
        )
    if not (project / "dags").is_dir():
        # Never advise `init --force` here: in the wrong folder it would write the sample project over it.
        raise ProjectError(
            f"{project} has no dags/ folder, so it is not a farflow project. Pass --project (-p) with your "
            "project's folder, or create dags/ here for your DAG files (`farflow init NEW-FOLDER` writes a "
            "new sample project)."
        )
    return project.resolve()


class LocalStack(StackAccess):
    """One running local farflow: use as a context manager, or call start() and stop().

    `report` gets each start-up step; `notify` gets what happens later (a component's exit, restart, or
    the supervisor giving up), from the supervisor's thread.
    """

    def __init__(
        self,
        options: StackOptions,
        report: Callable[[str], None] | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.options = options
        self.project = check_project(options.project)
        # Read before anything starts, so a bad option stops `farflow local up` with one line.
        config = project_config(self.project)
        self.airflow_options = config.airflow.options
        self.permissions = config.permissions
        self.state = StateDir.for_project(self.project)
        self.report = report or (lambda _message: None)
        self.notify = notify or (lambda message: self.report(message))  # noqa: PLW0108 - report may be replaced
        self.secrets: Secrets | None = None
        self.layout: StackLayout | None = None
        self.seeded: SeededNames | None = None
        self.database: MetadataDatabase | None = None
        self.endpoint: Any = None
        self.supervisor: Supervisor | None = None
        self.stack_id = uuid.uuid4().hex
        self.swept: list[int] = []
        self.started: list[component_processes.ManagedProcess] = []  # every component process, restarts too
        self.record: StackRecord | None = None
        # Start-up steps that overlap another (imports, the seed); stop() waits for them.
        self._background: ThreadPoolExecutor | None = None

    def _apply_to_running(self, running: StackRecord) -> str:
        """A second `farflow local up` puts farflow.toml's `[permissions]`, as the file reads now, on the
        running stack's roles (a stack still starting seeds them itself); the sentence that says so."""
        if running.phase == "starting" or not running.endpoint_url:
            return ""
        try:
            apply_project_permissions(
                running.endpoint_url, running.region, DEFAULT_NAMES, self.project, self.permissions
            )
        except (BotoCoreError, ClientError) as error:
            return f" farflow.toml's [permissions] could not be applied to it ({error})."
        applied = " farflow.toml's [permissions] as the file reads now is applied to its roles."
        warning = managed_policy_warning(self.permissions)
        return applied + (f" {warning}" if warning else "")

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        options = self.options
        running = stack_record.running(self.state)
        if running is not None:
            raise StackAlreadyUp(stack_record.already_up_message(running) + self._apply_to_running(running))
        check_executor_settings(os.environ)
        database = MetadataDatabase.choose(self.state, options.database_url)  # before anything is written
        if database.warning:
            self.notify(f"warning: {database.warning}")
        ensure_free(options.api_port)
        record = StackRecord.for_this_process(self.project, options.api_port)
        stack_record.claim(self.state, record)
        self.record, self.database = record, database
        self.secrets = self.state.prepare()
        self._background = background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="farflow-start")
        # The endpoint and its seed need no database: they start while the database does (and while a
        # new database template is built, or the migration runs).
        endpoint = background.submit(self._start_endpoint)
        template = self._database_template(database)
        if database.is_embedded:
            self.report("Starting the embedded PostgreSQL" + (" (from the template)" if template else ""))
        database_url = database.start(self.secrets.database_password, template)
        if not database.from_template:
            self.report("Migrating the metadata database")
            self._migrate(self._migration_environment(database_url))
        self.report("Starting the local ECS endpoint")
        endpoint.result()
        self._record_layout(database_url)
        self._start_components()

    def _migrate(self, environment: dict[str, str]) -> None:
        component_processes.run(
            "airflow db migrate",
            component_argv(MIGRATION.name, self.options.api_port),
            environment,
            self.state.logs / "migrate.log",
            MIGRATE_TIMEOUT,
        )

    def _database_template(self, database: MetadataDatabase) -> Path | None:
        """For a new embedded database, the migrated template to copy: found, or built now (once per
        Airflow version) by the real `airflow db migrate`. None: initdb and migrate in the project."""
        if not (database.is_new and database_template.enabled()):
            return None
        root = database_template.cache_root()
        key = database_template.template_key(self._migration_environment(PLACEHOLDER_URL))
        found = database_template.find(root, key)
        if found is not None:
            return found
        self.report(f"Building the metadata database template in {root} (once per Airflow version)")

        def make(data: Path) -> None:
            builder = EmbeddedPostgres(data, password=None)
            try:
                self._migrate(self._migration_environment(builder.start()))
            finally:
                builder.stop()

        return database_template.build(root, key, make)

    def _migration_environment(self, database_url: str) -> dict[str, str]:
        """The migration's environment against `database_url`. It makes no AWS call, so it needs no
        endpoint (a placeholder address) and runs while the endpoint starts."""
        assert self.secrets is not None
        layout = self._layout(PLACEHOLDER_URL, database_url)
        return component_environment(MIGRATION.name, os.environ, layout, None, self.secrets)

    def _start_endpoint(self) -> None:
        """The endpoint, seeded with the network and task definitions (no database URL needed yet)."""
        options = self.options
        from farflow.local.endpoint import FaultSettings, ImageResolver, LocalEcsEndpoint

        self.endpoint = LocalEcsEndpoint(
            host="127.0.0.1",
            port=0,
            faults=FaultSettings.from_env(),
            images=ImageResolver(project_dir=self.project, python=sys.executable),
            execute=True,
            base_env=task_base_env(os.environ, self.stack_id),
            region=options.region,
            iam=iam_mode(),
        )
        self.endpoint.start()
        layout = self._layout(str(self.endpoint.url), database_url="")  # tasks never get the database
        assert self.secrets is not None
        seeded = seed_network(layout.endpoint_url, layout.region, layout.names, options.dag_bundle)
        roles = seed_stack_roles(layout, seeded, self.endpoint.account_id, self.project, self.permissions)
        if warning := managed_policy_warning(self.permissions):
            self.report(warning)
        if seeded.dags_bucket:
            # The project's dags/ as it is now, before anything parses: what a deploy does too.
            self.report("Copying dags/ into the DAG bundle's bucket")
            push_folder(
                endpoint_client("s3", layout.endpoint_url, layout.region),
                seeded.dags_bucket,
                layout.dags_folder,
            )
        seed_task_definitions(
            layout.endpoint_url,
            layout.region,
            airflow_task_env(layout, seeded, self.secrets),
            self.project,
            layout.names,
            task_roles=roles.task_roles,
        )
        self.layout, self.seeded = layout, seeded

    def _layout(self, endpoint_url: str, database_url: str) -> StackLayout:
        options = self.options
        return StackLayout(
            project=self.project,
            state=self.state,
            api_port=options.api_port,
            endpoint_url=endpoint_url,
            database_url=database_url,
            region=options.region,
            stack_id=self.stack_id,
            airflow_options=self.airflow_options,
        )

    def _record_layout(self, database_url: str) -> None:
        """Where everything is, in the layout and in the record other commands read."""
        assert self.layout is not None and self.seeded is not None
        assert self.record is not None and self.database is not None
        self.layout = layout = replace(self.layout, database_url=database_url)
        self.record = self.record.with_(
            api_url=layout.api_url,
            ui_url=layout.ui_url,
            endpoint_url=layout.endpoint_url,
            region=layout.region,
            stack_id=self.stack_id,
            database=self.database.label(),
            database_url=layout.database_url,
            database_pid=self.database.pid,
            cluster=self.seeded.cluster,
            subnets=self.seeded.subnets,
            security_groups=self.seeded.security_groups,
            dags_bucket=self.seeded.dags_bucket,
        )
        stack_record.update(self.state, self.record)

    def _start_components(self) -> None:
        """The long-running components, then a wait until they are healthy, then supervision."""
        assert self.layout is not None and self.record is not None
        *first, last = component_names()
        self.report(f"Starting {', '.join(first)} and {last}")
        self.supervisor = Supervisor(
            self._start_component,
            cleanup=lambda child: component_processes.stop([child], grace=5.0),  # type: ignore[list-item]
            report=self.notify,
            on_change=self._write_record,
        )
        for name in component_names():
            self.supervisor.add(self._start_component(name))
        self.report("Waiting for every component to report healthy")
        api = AirflowApi(self.layout.api_url)
        # Else the first task's first call waits while the api-server builds its routes: done as soon as
        # it listens, while the other components are still starting.
        warm_up = threading.Thread(target=_warm_up, args=(api, HEALTH_TIMEOUT), daemon=True)
        warm_up.start()
        # While starting, an exit fails at once with its log (a broken setting shows now, not after five
        # restarts); once healthy, the supervisor restarts what exits.
        component_processes.wait_for(
            lambda: True if not unhealthy(api.health()) else None,
            timeout=HEALTH_TIMEOUT,
            what=f"Airflow to report healthy at {self.layout.api_url}/api/v2/monitor/health "
            f"(logs in {self.state.logs})",
            watch=list(self.components.values()),
        )
        warm_up.join(WARM_UP_TIMEOUT)
        self.record = self.record.with_(phase="up")
        self._write_record()
        self.supervisor.start_thread()

    def _start_component(self, name: str) -> component_processes.ManagedProcess:
        argv = component_argv(name, self.options.api_port)
        process = component_processes.start(
            name, argv, self.environment(name), self.state.logs / f"{name}.log", self.project
        )
        self.started.append(process)
        return process

    def _write_record(self) -> None:
        """Save each component's pid, state and restarts in the record `farflow local status` reads."""
        if self.record is None or self.supervisor is None:
            return
        self.record = self.record.with_(components=dict(self.supervisor.states()))
        stack_record.update(self.state, self.record)

    @property
    def components(self) -> dict[str, component_processes.ManagedProcess]:
        """Each component's current process (after a restart, the new one)."""
        if self.supervisor is None:
            return {}
        return self.supervisor.children  # type: ignore[return-value]

    def check(self) -> None:
        """Raise ProcessFailed (with the log tail) once the supervisor has given up on a component."""
        if self.supervisor is not None:
            self.supervisor.check()

    def stop(self) -> None:
        """Stop the components together, then the endpoint and its task processes, then any process still
        marked as this stack's, then the embedded database, then remove the record. Every step runs even
        if one before it failed. Idempotent."""
        background, self._background = self._background, None
        if background is not None:
            background.shutdown(wait=True)  # a seed still running uses the endpoint
        supervisor, self.supervisor = self.supervisor, None
        components: list[component_processes.ManagedProcess] = []
        if supervisor is not None:
            supervisor.stop_thread()
            components = list(supervisor.children.values())  # type: ignore[arg-type]
        # Components and ECS task processes each run in a session of their own: remember them all.
        session_ids = process_tree.sessions(process_tree.descendants(os.getpid()))
        endpoint, self.endpoint = self.endpoint, None
        database, self.database = self.database, None
        record, self.record = self.record, None

        def sweep() -> None:
            self.swept += process_tree.sweep(session_ids, STACK_MARKER, self.stack_id)
            # A component that exited before (and was started again) took its session's processes with
            # it; should any be left, they are ended here too.
            self.swept += component_processes.end_escaped(self.started)

        _all_of(
            lambda: component_processes.stop(components, hurry=hurry([c.name for c in components])),
            endpoint.stop if endpoint is not None else None,
            (lambda: self.report(iam_summary(endpoint))) if endpoint is not None else None,
            sweep,
            database.stop if database is not None else None,
            (lambda: stack_record.release(self.state)) if record is not None else None,
        )

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # -- using it --------------------------------------------------------------------------------------

    def running_components(self) -> dict[str, int]:
        return {name: process.pid for name, process in self.components.items() if process.alive()}


def iam_summary(endpoint: Any) -> str:
    """How many of the endpoint's calls IAM evaluated and denied (or would have, with `warn`)."""
    counts = endpoint.iam_counts()
    mode = endpoint.iam.value
    if mode == "off":
        return "IAM off: no call evaluated"
    verb = "denied" if mode == "enforce" else "would have been denied"
    return f"IAM ({mode}): {counts.get('evaluated', 0)} calls evaluated, {counts.get('denied', 0)} {verb}"


def _warm_up(api: AirflowApi, timeout: float) -> None:
    """Call the execution API until it has answered once (the api-server may not listen yet)."""
    deadline = time.monotonic() + timeout
    while not api.warm_up_execution_api() and time.monotonic() < deadline:
        time.sleep(0.25)


def _all_of(*steps: Callable[[], object] | None) -> None:
    """Run every step, even after one fails; then raise the first failure."""
    first: BaseException | None = None
    for step in steps:
        if step is None:
            continue
        try:
            step()
        except BaseException as error:
            first = first or error
    if first is not None:
        raise first
