"""The `farflow` command line: the app, its top-level commands, and the command groups it is made of.

`farflow local ...` and `farflow demo` are in local.py, the CDK commands in deploy.py, `farflow cost` in
cost.py, `farflow dags ...` in farflow.dags.cli; common.py holds what they share. The console script
(`farflow = "farflow.cli:app"` in pyproject.toml) and `python -m farflow.cli` both run `app`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from farflow import __version__
from farflow.cli import cost, deploy, local
from farflow.cli.common import console, fail
from farflow.dags.cli import dags_app
from farflow.terminal import report_bug


class _Farflow(typer.Typer):
    """The app, whose unexpected exceptions are reported as farflow's bug (a user's mistake never gets here)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return typer.main.get_command(self)(*args, **kwargs)
        except Exception:
            sys.exit(report_bug(__version__))


app = _Farflow(help="Apache Airflow on AWS Fargate, serverless end to end.", no_args_is_help=True)
app.add_typer(local.local_app, name="local")
app.add_typer(dags_app, name="dags")


def _print_version(value: bool) -> None:
    if value:
        console.print(f"farflow {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print farflow's version and exit."
        ),
    ] = False,
) -> None:
    """Apache Airflow on AWS Fargate, serverless end to end."""


@app.command()
def version() -> None:
    """Print farflow's version."""
    console.print(f"farflow {__version__}")


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to write the sample project into.")],
    force: Annotated[bool, typer.Option("--force", help="Write into a folder that is not empty.")] = False,
    config_only: Annotated[
        bool,
        typer.Option(
            "--config-only",
            help="Add only what deploy needs to an existing project: farflow.toml, cdk.json, and the Airflow "
            "image's Dockerfile, .dockerignore and requirements.txt where it has none (yours are kept).",
        ),
    ] = False,
) -> None:
    """Write the sample project (dags/, tasks/, farflow.toml for `farflow deploy`) into DIRECTORY."""
    from farflow.scaffold import DEPLOY_FILES, ProjectExistsError, init_deploy_files, init_project

    try:
        written = (
            init_deploy_files(directory, force=force) if config_only else init_project(directory, force=force)
        )
    except ProjectExistsError as error:
        raise fail(str(error)) from None
    except OSError as error:
        raise fail(_unwritable(directory, error), 1) from None
    console.print(
        f"Wrote {'the deploy files' if config_only else 'the sample project'} to [bold]{directory}[/bold]:"
    )
    for path in written:
        console.print(f"  {path}", highlight=False)
    if config_only:
        for path in (path for path in DEPLOY_FILES if path not in written):
            console.print(f"  {path} (kept)", highlight=False)
    else:
        console.print(f"Next: [bold]farflow local up --project {directory}[/bold]")
    console.print(
        f"On AWS: put your address in \\[load_balancer] allowed_cidrs in {directory / 'farflow.toml'} "
        f"(docs/deploy.md), then [bold]farflow deploy --project {directory}[/bold]"
    )


def _unwritable(directory: Path, error: OSError) -> str:
    where = f" at {error.filename}" if error.filename and str(error.filename) != str(directory) else ""
    return (
        f"Cannot write the project into {directory} ({error.strerror or error}{where}). "
        "Choose a folder you can create and write to."
    )


# After version and init, in the order `farflow --help` lists them.
for command in (
    local.demo,
    deploy.synth,
    deploy.deploy,
    deploy.diff,
    deploy.destroy,
    deploy.bootstrap,
    cost.cost,
):
    app.command()(command)
