"""`farflow dags ...`: the DAG bundle's commands (registered on the `farflow` app by farflow.cli)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from farflow.terminal import diagnostic, make_console

dags_app = typer.Typer(help="The project's DAGs in the stack's DAG bundle.", no_args_is_help=True)
console = make_console()
errors = make_console(stderr=True)


def _say(line: str) -> None:
    console.print(Text(line), highlight=False, soft_wrap=True)


@dags_app.command("push")
def push(
    project: Annotated[
        Path, typer.Option("--project", "-p", help="The farflow project folder (with dags/).")
    ] = Path("."),
    local: Annotated[
        bool,
        typer.Option("--local", help="Push to the project's local stack (`farflow local up --dag-bundle`)."),
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait for the dag-processor to parse the push.")
    ] = 120.0,
    insecure_http: Annotated[
        bool,
        typer.Option(
            "--insecure-http",
            help="Log in to a deployed UI on plain http:// anyway (sends the admin password in cleartext).",
        ),
    ] = False,
) -> None:
    """Upload what changed in dags/ (deletions too) to the deployed stack's DAG bundle, or the local
    stack's with --local; wait until the dag-processor has parsed it and show import errors. Exit 1 if a
    DAG file fails to import or the push was not parsed in time. No image build, no restart."""
    from farflow.dags.push import PushError
    from farflow.dags.push import push as push_dags
    from farflow.dags.targets import deployed_target, local_target
    from farflow.deploy.config_file import DeployConfigError
    from farflow.local.stack import ProjectError

    try:
        target = local_target(project) if local else deployed_target(project, insecure_http=insecure_http)
        outcome = push_dags(target, project, _say, timeout)
    except (PushError, ProjectError, DeployConfigError) as error:
        diagnostic(errors, "error", "bold red", str(error))
        raise typer.Exit(1) from None
    raise typer.Exit(0 if outcome.ok else 1)
