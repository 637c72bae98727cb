"""The `farflow` command line."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from farflow import __version__

app = typer.Typer(help="Apache Airflow on AWS Fargate, serverless end to end.", no_args_is_help=True)
local_app = typer.Typer(
    help="farflow on this machine: a loopback ECS endpoint and Airflow's components.", no_args_is_help=True
)
app.add_typer(local_app, name="local")
console = Console()

ProjectOption = Annotated[
    Path, typer.Option("--project", "-p", help="The farflow project folder (with dags/ and tasks/).")
]
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="FARFLOW_DATABASE_URL",
        help="Metadata database URL (default: SQLite in <project>/.farflow), e.g. "
        "postgresql+psycopg2://postgres@127.0.0.1:5432/farflow",
        show_default=False,
    ),
]


@app.callback()
def main() -> None:
    """Apache Airflow on AWS Fargate, serverless end to end."""


@app.command()
def version() -> None:
    """Print farflow's version."""
    console.print(f"farflow {__version__}")


def _fail(message: str, code: int = 2) -> typer.Exit:
    # As Text, not markup: messages quote logs and tracebacks, whose [brackets] are not rich styles.
    console.print(Text.assemble(("error: ", "bold red"), message), highlight=False, soft_wrap=True)
    return typer.Exit(code)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to write the sample project into.")],
    force: Annotated[bool, typer.Option("--force", help="Write into a folder that is not empty.")] = False,
) -> None:
    """Write the sample project (dags/, tasks/multi_task, tasks/number_task) into DIRECTORY."""
    from farflow.scaffold import ProjectExistsError, init_project

    try:
        written = init_project(directory, force=force)
    except ProjectExistsError as error:
        raise _fail(str(error)) from None
    console.print(f"Wrote the sample project to [bold]{directory}[/bold]:")
    for path in written:
        console.print(f"  {path}", highlight=False)
    console.print(f"Next: [bold]farflow local up --project {directory}[/bold]")


def _user_errors() -> tuple[type[BaseException], ...]:
    """Errors that mean "fix your input": shown as one message, without a traceback."""
    from farflow.local.demo import DagImportError
    from farflow.local.endpoint import FaultSettingsError
    from farflow.local.environment import StackConfigError
    from farflow.local.ports import PortInUseError
    from farflow.local.processes import ProcessFailed
    from farflow.local.seed import SeedError
    from farflow.local.stack import ProjectError

    return (
        FaultSettingsError,
        ProjectError,
        PortInUseError,
        StackConfigError,
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
) -> None:
    """Start the local stack and keep it running until Ctrl-C or SIGTERM; then stop everything."""
    from farflow.local.runner import serve

    try:
        serve(console, project, port, database_url)
    except _user_errors() as error:
        raise _fail(str(error), 1) from None


@app.command()
def demo(
    project: Annotated[
        Path | None,
        typer.Option(
            "--project", "-p", help="Project to run (default: a fresh sample project in $FARFLOW_HOME/demo)."
        ),
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Start the local stack, run the sample DAG once, print the result, stop. Exit 0 only on success."""
    from farflow.local.runner import run_demo

    started = time.monotonic()
    try:
        succeeded = run_demo(console, project, database_url)
    except _user_errors() as error:
        raise _fail(str(error), 1) from None
    console.print(f"Demo finished in {time.monotonic() - started:.1f}s.")
    raise typer.Exit(0 if succeeded else 1)


if __name__ == "__main__":
    app()
