"""`farflow local ...` and `farflow demo`: the local stack's commands."""

from __future__ import annotations

import json
import os
import shlex
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from farflow.cli.common import ProjectOption, console, errors, fail
from farflow.local.iam_mode import DEFAULT_MODE, IAM_VARIABLE, IamMode

local_app = typer.Typer(
    help="farflow on this machine: a loopback ECS endpoint and Airflow's components.", no_args_is_help=True
)

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="FARFLOW_DATABASE_URL",
        help="Metadata database URL (default: an embedded PostgreSQL in <project>/.farflow), e.g. "
        "postgresql+psycopg2://postgres@127.0.0.1:5432/farflow, or sqlite:////abs/path.db (light work only)",
        show_default=False,
    ),
]

IamOption = Annotated[
    IamMode,
    typer.Option(
        "--iam",
        envvar=IAM_VARIABLE,
        case_sensitive=False,
        help="Hold every AWS call to the deploy's IAM and resource policies: enforce (a denied call fails "
        "as on AWS), warn (it is logged and goes through) or off.",
    ),
]


def use_iam(mode: IamMode) -> None:
    """The stack this command starts reads it (FARFLOW_LOCAL_IAM); a stack already up keeps its own."""
    os.environ[IAM_VARIABLE] = mode.value


def user_errors() -> tuple[type[BaseException], ...]:
    """Errors that mean "fix your input": shown as one message, without a traceback."""
    from farflow.local.component_processes import ProcessFailed
    from farflow.local.demo import DagImportError
    from farflow.local.embedded_database import EmbeddedDatabaseError
    from farflow.local.endpoint import FaultSettingsError
    from farflow.local.environment import StackConfigError
    from farflow.local.iam_mode import IamModeError
    from farflow.local.ports import PortInUseError
    from farflow.local.seed import SeedError
    from farflow.local.stack import ProjectError
    from farflow.local.stack_record import StackAlreadyUp

    return (
        FaultSettingsError,
        IamModeError,
        ProjectError,
        PortInUseError,
        StackConfigError,
        StackAlreadyUp,
        EmbeddedDatabaseError,
        SeedError,
        DagImportError,
        ProcessFailed,
        TimeoutError,
    )


@local_app.command("up")
def local_up(
    project: ProjectOption = Path("."),
    port: Annotated[int, typer.Option("--port", help="Port of the UI and REST API on 127.0.0.1.")] = 8080,
    database_url: DatabaseOption = None,
    dag_bundle: Annotated[
        bool,
        typer.Option(
            "--dag-bundle",
            help="Read DAGs from a bundle in the local endpoint's S3, as on AWS: `farflow dags push --local` "
            "updates it (default: dags/ read in place).",
        ),
    ] = False,
    iam: IamOption = DEFAULT_MODE,
) -> None:
    """Start the local stack and keep it running until Ctrl-C or SIGTERM; then stop everything. Exit code
    130 after Ctrl-C, 0 after SIGTERM."""
    from farflow.local.runner import serve

    use_iam(iam)
    try:
        code = serve(console, project, port, database_url, dag_bundle=dag_bundle)
    except user_errors() as error:
        raise fail(str(error), 1) from None
    raise typer.Exit(code)


def _conf(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise fail(f"--conf is not valid JSON ({error.msg} at character {error.pos}): {text}") from None
    if not isinstance(value, dict):
        raise fail(f'--conf must be a JSON object, e.g. --conf \'{{"day": "2024-01-01"}}\', not {text}')
    return value


@local_app.command("run")
def local_run(
    dag_id: Annotated[str, typer.Argument(help="The DAG to run once.")],
    conf: Annotated[
        str | None,
        typer.Option("--conf", help='The run\'s conf, a JSON object, e.g. \'{"day": "2024-01-01"}\'.'),
    ] = None,
    project: ProjectOption = Path("."),
    database_url: DatabaseOption = None,
    iam: IamOption = DEFAULT_MODE,
) -> None:
    """Trigger DAG_ID on the project's stack (the one that is up, else one started for the run), show its
    tasks live, print each failed task's log tail. Exit 0 only if the run succeeded."""
    from farflow.local.runner import run_dag

    use_iam(iam)
    parsed = _conf(conf)
    try:
        succeeded = run_dag(console, project, dag_id, conf=parsed, database_url=database_url)
    except user_errors() as error:
        raise fail(str(error), 1) from None
    raise typer.Exit(0 if succeeded else 1)


@local_app.command(
    "airflow",
    context_settings={
        "allow_extra_args": True,
        "ignore_unknown_options": True,
        "allow_interspersed_args": False,
    },
)
def local_airflow(
    context: typer.Context,
    project: ProjectOption = Path("."),
    database_url: DatabaseOption = None,
) -> None:
    """Run the `airflow` CLI with the local stack's settings (database, secrets, executor), e.g.
    `farflow local airflow -p my-project dags list`. farflow's options go before the airflow arguments."""
    from farflow.local.runner import run_airflow

    if not context.args:
        raise fail("Name the airflow command to run, e.g. `farflow local airflow dags list`.")
    from farflow.local.stack import ProjectError, check_project

    try:
        check_project(project)
    except ProjectError as error:
        raise fail(_misplaced_options(context.args) or str(error), 1) from None
    try:
        code = run_airflow(errors, project, list(context.args), database_url)
    except user_errors() as error:
        raise fail(str(error), 1) from None
    raise typer.Exit(code)


FARFLOW_OPTIONS = ("--project", "-p", "--database-url")


def _misplaced_options(arguments: list[str]) -> str | None:
    """When farflow's own options follow the airflow command (where airflow gets them), how to write it."""
    moved: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(arguments):
        argument = arguments[index]
        if argument.split("=", 1)[0] in FARFLOW_OPTIONS:
            step = 1 if "=" in argument else 2  # --project=DIR, or --project DIR
            moved += arguments[index : index + step]
        else:
            step = 1
            rest.append(argument)
        index += step
    if not moved:
        return None
    fixed = shlex.join(["farflow", "local", "airflow", *moved, *rest])
    return (
        f"{shlex.join(moved)} comes after the airflow command, where it goes to airflow, not farflow. Put "
        f"farflow's options before the airflow arguments: {fixed}"
    )


@local_app.command("status")
def local_status(project: ProjectOption = Path(".")) -> None:
    """Whether a stack is up for the project, its URL, and each component's health and restarts.
    Exit 0 if it is up and healthy, 3 if it is up but not all healthy, 1 if none is up."""
    from farflow.local.stack import check_project
    from farflow.local.state import StateDir
    from farflow.local.status import Found, look, render

    try:
        folder = check_project(project)
    except user_errors() as error:
        raise fail(str(error), 1) from None
    status = look(StateDir.for_project(folder))
    console.print(render(status, str(folder)), highlight=False, soft_wrap=True)
    if status.found is not Found.UP:
        raise typer.Exit(1)
    raise typer.Exit(0 if status.healthy else 3)


def demo(
    project: Annotated[
        Path | None,
        typer.Option(
            "--project", "-p", help="Project to run (default: a fresh sample project in $FARFLOW_HOME/demo)."
        ),
    ] = None,
    database_url: DatabaseOption = None,
    iam: IamOption = DEFAULT_MODE,
) -> None:
    """Run the sample DAG once on a fresh sample project (`farflow local run sample_dag` there): start the
    stack, show the tasks live, stop. Exit 0 only on success."""
    from farflow.local.runner import run_demo

    use_iam(iam)
    started = time.monotonic()
    try:
        succeeded = run_demo(console, project, database_url)
    except user_errors() as error:
        raise fail(str(error), 1) from None
    console.print(f"Demo finished in {time.monotonic() - started:.1f}s.")
    raise typer.Exit(0 if succeeded else 1)
