"""The `farflow` command line."""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.text import Text

from farflow import __version__
from farflow.dags.cli import dags_app
from farflow.local.iam_mode import DEFAULT_MODE, IAM_VARIABLE, IamMode
from farflow.terminal import diagnostic, make_console, report_bug

if TYPE_CHECKING:
    from rich.table import Table

    from farflow.cost_report import Row
    from farflow.deploy.config import DeployConfig
    from farflow.deploy.preflight import Preflight


class _Farflow(typer.Typer):
    """The app, whose unexpected exceptions are reported as farflow's bug (a user's mistake never gets here)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return typer.main.get_command(self)(*args, **kwargs)
        except Exception:
            sys.exit(report_bug(__version__))


app = _Farflow(help="Apache Airflow on AWS Fargate, serverless end to end.", no_args_is_help=True)
local_app = typer.Typer(
    help="farflow on this machine: a loopback ECS endpoint and Airflow's components.", no_args_is_help=True
)
app.add_typer(local_app, name="local")
app.add_typer(dags_app, name="dags")
console = make_console()
errors = make_console(stderr=True)

ProjectOption = Annotated[
    Path, typer.Option("--project", "-p", help="The farflow project folder (with dags/ and tasks/).")
]
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


def _use_iam(mode: IamMode) -> None:
    """The stack this command starts reads it (FARFLOW_LOCAL_IAM); a stack already up keeps its own."""
    os.environ[IAM_VARIABLE] = mode.value


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


def _fail(message: str, code: int = 2) -> typer.Exit:
    """One `error:` line on stderr; the caller raises the returned exit."""
    diagnostic(errors, "error", "bold red", message)
    return typer.Exit(code)


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
        raise _fail(str(error)) from None
    except OSError as error:
        raise _fail(_unwritable(directory, error), 1) from None
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


def _user_errors() -> tuple[type[BaseException], ...]:
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

    _use_iam(iam)
    try:
        code = serve(console, project, port, database_url, dag_bundle=dag_bundle)
    except _user_errors() as error:
        raise _fail(str(error), 1) from None
    raise typer.Exit(code)


def _conf(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise _fail(f"--conf is not valid JSON ({error.msg} at character {error.pos}): {text}") from None
    if not isinstance(value, dict):
        raise _fail(f'--conf must be a JSON object, e.g. --conf \'{{"day": "2024-01-01"}}\', not {text}')
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

    _use_iam(iam)
    parsed = _conf(conf)
    try:
        succeeded = run_dag(console, project, dag_id, conf=parsed, database_url=database_url)
    except _user_errors() as error:
        raise _fail(str(error), 1) from None
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
        raise _fail("Name the airflow command to run, e.g. `farflow local airflow dags list`.")
    from farflow.local.stack import ProjectError, check_project

    try:
        check_project(project)
    except ProjectError as error:
        raise _fail(_misplaced_options(context.args) or str(error), 1) from None
    try:
        code = run_airflow(errors, project, list(context.args), database_url)
    except _user_errors() as error:
        raise _fail(str(error), 1) from None
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
    except _user_errors() as error:
        raise _fail(str(error), 1) from None
    status = look(StateDir.for_project(folder))
    console.print(render(status, str(folder)), highlight=False, soft_wrap=True)
    if status.found is not Found.UP:
        raise typer.Exit(1)
    raise typer.Exit(0 if status.healthy else 3)


@app.command()
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

    _use_iam(iam)
    started = time.monotonic()
    try:
        succeeded = run_demo(console, project, database_url)
    except _user_errors() as error:
        raise _fail(str(error), 1) from None
    console.print(f"Demo finished in {time.monotonic() - started:.1f}s.")
    raise typer.Exit(0 if succeeded else 1)


def _plain(line: str) -> None:
    # As Text: paths, ARNs and commands are neither markup nor emoji codes (an ARN's ":secret:" is one).
    console.print(Text(line), highlight=False, soft_wrap=True)


YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Answer the CDK toolkit's prompts with yes.")]


def _deploy_config(project: Path) -> DeployConfig:
    from farflow.deploy.config_file import DeployConfigError, load

    try:
        return load(project)
    except DeployConfigError as error:
        raise _fail(str(error), 1) from None


def _check_dockerfile(project: Path) -> None:
    from farflow.deploy.dockerfile import MissingDockerfileError, check_dockerfile

    try:
        check_dockerfile(project)
    except MissingDockerfileError as error:
        raise _fail(str(error), 1) from None


def _with_region(config: DeployConfig) -> DeployConfig:
    """`config` with the Region resolved as the deploy commands resolve it: farflow.toml, the
    environment, the AWS profile. One line naming the three places if none has one."""
    import os
    from dataclasses import replace

    from farflow.deploy.region import REGION_PROBLEM, profile_region, resolve_region

    region = resolve_region(config.project.region, os.environ, profile_region)
    if not region:
        raise _fail(REGION_PROBLEM, 1)
    return replace(config, project=replace(config.project, region=region))


@app.command()
def synth(project: ProjectOption = Path(".")) -> None:
    """Write the stack's CloudFormation template to <project>/cdk.out: no AWS credentials, Docker or network."""
    config = _with_region(_deploy_config(project))
    _check_dockerfile(project)  # before anything is written into cdk.out
    try:
        from farflow.deploy.app import synth as synthesize
    except ModuleNotFoundError as error:
        raise _fail(_missing_cdk(error), 1) from None
    from farflow.spec import TaskFolderError

    try:
        assembly = synthesize(project, config, project / "cdk.out")
    except TaskFolderError as error:
        raise _fail(str(error), 1) from None
    templates = sorted(assembly.glob("*.template.json"))
    _plain(f"Synthesized {len(templates)} template(s) into {assembly}:")
    for template in templates:
        _plain(f"  {template}")


def _missing_cdk(error: ModuleNotFoundError) -> str:
    if error.name and error.name.split(".")[0] in {"aws_cdk", "constructs", "cdk_nag", "jsii"}:
        return f"The CDK libraries are not installed ({error.name}): pip install 'farflow[deploy]'."
    return f"This farflow cannot synthesize: {error}."


SYNTHESIZING_ACTIONS = frozenset({"deploy", "diff", "destroy"})
"""The toolkit actions that run the CDK app (bootstrap names its environment and synthesizes nothing)."""


def _toolkit(action: str, project: Path, yes: bool) -> Preflight:
    """Load the config, run preflight, then the CDK toolkit; exit non-zero with the reason on any failure."""
    from farflow.deploy import preflight, toolkit

    config = _deploy_config(project)
    if action in SYNTHESIZING_ACTIONS:
        _check_dockerfile(project)
    checked = preflight.preflight(action, config, preflight.aws_probes(), project)
    for note in checked.notes:
        diagnostic(errors, "note", "bold yellow", note)
    if not checked.ok or checked.node is None:
        for problem in checked.problems[:-1]:
            diagnostic(errors, "error", "bold red", problem)
        raise _fail(checked.problems[-1], 1)
    environment = f"aws://{checked.account}/{checked.region}"
    command = toolkit.cdk_command(
        checked.node,
        action,
        project.resolve(),
        environment=environment,
        yes=yes,
        first_deploy=checked.first_deploy,
    )
    if checked.first_deploy:
        diagnostic(errors, "note", "bold yellow", toolkit.FIRST_DEPLOY_NOTE)
    _plain(f"{environment}: running {shlex.join(command)}")
    code = toolkit.run(command, project, toolkit.toolkit_environment(checked.node, checked.region))
    if code != 0:
        raise _fail(f"cdk {action} failed (exit code {code}); its output above says why.", code)
    return checked


@app.command()
def deploy(project: ProjectOption = Path("."), yes: YesOption = False) -> None:
    """Build the images and deploy the stack to AWS, then print the UI's URL. Needs Node.js, Docker, AWS."""
    from farflow.deploy import toolkit

    path = toolkit.outputs_path(project.resolve())
    path.unlink(missing_ok=True)  # so a deploy that writes none cannot show the last one's
    checked = _toolkit("deploy", project, yes)
    outputs = toolkit.read_outputs(path.read_text()) if path.is_file() else None
    for line in toolkit.deploy_summary(outputs, checked.region):
        _plain(line)
    from farflow.dags.after_deploy import push_after_deploy

    for line in push_after_deploy(project, path, checked.region):
        _plain(line)


@app.command()
def diff(project: ProjectOption = Path(".")) -> None:
    """Show what a deploy would change in the deployed stack. Needs Node.js and AWS credentials."""
    _toolkit("diff", project, yes=False)


@app.command()
def destroy(project: ProjectOption = Path("."), yes: YesOption = False) -> None:
    """Delete the stack; first set the database's deletion_protection = false in farflow.toml and deploy."""
    _toolkit("destroy", project, yes)


@app.command()
def bootstrap(project: ProjectOption = Path(".")) -> None:
    """Prepare the account and Region for CDK deploys (once): the CDKToolkit stack and its asset bucket."""
    _toolkit("bootstrap", project, yes=False)


def _when(text: str | None, default: datetime) -> datetime:
    if not text:
        return default
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _fail(f"{text!r} is not a date or time; use e.g. 2026-06-01 or 2026-06-01T12:00.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _local_password(project: Path) -> str | None:
    """The local stack's admin password, if `project` has run one (never created here)."""
    from farflow.local.state import StateDir

    path = StateDir.for_project(project).secrets_file
    try:
        password = json.loads(path.read_text()).get("admin_password")
    except (OSError, ValueError, AttributeError):
        return None
    return str(password) if password else None


def _hours(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _cost_table(rows: list[Row], total: Row, grouping: str, window: str) -> Table:
    from rich.table import Table

    table = Table(
        title=f"Fargate cost of farflow's ECS tasks, {window}",
        caption="Fargate compute only: not NAT, data transfer, logs, EC2 capacity or the Airflow services.",
    )
    table.add_column({"dag": "DAG", "task": "DAG.task", "day": "day (UTC)"}[grouping])
    table.add_column("ECS tasks", justify="right")
    table.add_column("billed h:mm:ss", justify="right")
    table.add_column("cost (USD)", justify="right")
    for index, row in enumerate(rows):
        table.add_row(
            Text(row.key),
            str(row.ecs_tasks),
            _hours(row.billed_seconds),
            f"{row.usd:.6f}",
            end_section=index == len(rows) - 1,
        )
    table.add_row(
        Text(total.key, style="bold"), str(total.ecs_tasks), _hours(total.billed_seconds), f"{total.usd:.6f}"
    )
    return table


@app.command()
def cost(
    *,
    by: Annotated[
        str, typer.Option("--by", help="One row per dag, task or day (UTC).", show_default=True)
    ] = "dag",
    since: Annotated[
        str | None, typer.Option(help="From (ISO date or time, UTC); default 7 days before --until.")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Until (ISO date or time, UTC); default now.")] = None,
    dag_id: Annotated[str | None, typer.Option("--dag-id", help="Only this DAG.")] = None,
    api_url: Annotated[
        str | None,
        typer.Option(
            "--api-url",
            envvar="FARFLOW_API_URL",
            help="The Airflow api-server (default: the project's local stack that is up, else "
            "http://127.0.0.1:8080).",
            show_default=False,
        ),
    ] = None,
    username: Annotated[str, typer.Option(envvar="FARFLOW_API_USERNAME", help="Airflow user.")] = "admin",
    password: Annotated[
        str | None,
        typer.Option(
            envvar="FARFLOW_API_PASSWORD",
            help="Its password (default: the local stack's, from the project's .farflow).",
            show_default=False,
        ),
    ] = None,
    project: ProjectOption = Path("."),
) -> None:
    """What Fargate billed for the ECS tasks farflow's executor ran, per DAG, task or day, with a total.

    Read from the executor's "ecs task stopped" task events through Airflow's REST API. Fargate compute only: not NAT, data transfer, logs, EC2 capacity, or the Airflow services themselves.
    """
    from farflow import cost_report
    from farflow.local.api import AirflowApi, ApiError
    from farflow.local.stack_record import local_api_url

    if by not in ("dag", "task", "day"):
        raise _fail(f"--by {by!r}: use dag, task or day.")
    grouping: Literal["dag", "task", "day"] = by  # type: ignore[assignment]
    now = datetime.now(timezone.utc)
    end = _when(until, now)
    start = _when(since, end - timedelta(days=7))
    if start >= end:
        raise _fail(f"--since {start:%Y-%m-%d %H:%M} is not before --until {end:%Y-%m-%d %H:%M} (UTC).")
    api_url = api_url or local_api_url(project)
    secret = password or _local_password(project)
    if secret is None:
        raise _fail("No password: pass --password (or FARFLOW_API_PASSWORD), or --project of a local stack.")
    api = AirflowApi(api_url, timeout=30)
    try:
        api.login(username, secret)
        logs = cost_report.fetch(api, start, end, dag_id)
    except ApiError as error:
        raise _fail(f"The Airflow API at {api_url} refused: {error}", 1) from None
    except OSError as error:
        raise _fail(f"Cannot reach the Airflow API at {api_url} ({error}). Is it running?", 1) from None
    rows, total = cost_report.summarize(cost_report.cost_events(logs), grouping)
    console.print(_cost_table(rows, total, grouping, f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"))


if __name__ == "__main__":
    app()
