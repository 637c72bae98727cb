"""What `farflow local up` and `farflow demo` do at the terminal: start, report, wait, stop cleanly."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from rich.console import Console

from farflow.airflow_api import ApiError
from farflow.local import demo as sample
from farflow.local import stack_record
from farflow.local.component_processes import wait_for
from farflow.local.components import airflow_argv, cli_environment
from farflow.local.dag_run import watch_run
from farflow.local.home import farflow_home
from farflow.local.import_error_feed import ImportErrorFeed
from farflow.local.ports import free_port
from farflow.local.signals import Interrupted, exit_code, interruptible, shielded
from farflow.local.stack import HEALTH_TIMEOUT, LocalStack, StackOptions, check_project
from farflow.local.stack_access import AttachedStack, StackAccess
from farflow.local.stack_record import StackAlreadyUp, StackRecord
from farflow.local.state import StateDir
from farflow.spec.ui_user import ADMIN_USER

WATCH_INTERVAL = 2.0
T = TypeVar("T")


def _announce(console: Console, stack: LocalStack) -> None:
    assert stack.layout is not None
    console.print(f"[bold green]farflow is up:[/bold green] {stack.layout.ui_url}")
    # The one place the generated password is shown: the user's terminal, never a log file.
    console.print(
        f"  login: [bold]{ADMIN_USER}[/bold] / [bold]{stack.admin_password}[/bold]", highlight=False
    )
    console.print(f"  project: {stack.project}", highlight=False)
    if stack.database is not None:
        console.print(f"  database: {stack.database.label()}", highlight=False)
    console.print(f"  logs: {stack.state.logs}", highlight=False)
    if stack.seeded is not None and stack.seeded.dags_bucket:
        console.print(
            f"  DAGs: the bundle in s3://{stack.seeded.dags_bucket} on the local endpoint; after editing "
            f"dags/, run `farflow dags push --local -p {stack.project}`",
            highlight=False,
        )


def _notice(console: Console) -> Callable[[str], None]:
    """How a running stack's news (a component exited, started again) reaches the terminal."""

    def show(message: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        console.print(f"{stamp} {message}", style="yellow", markup=False, highlight=False)

    return show


def _stop(console: Console, stack: LocalStack) -> None:
    if stack.record is None:  # refused before it claimed the project: nothing to stop
        return
    with shielded():
        console.print("Stopping every process farflow started...")
        stack.stop()
        console.print("Stopped.")


def serve(
    console: Console, project: Path, port: int, database_url: str | None, *, dag_bundle: bool = False
) -> int:
    """Run the stack until SIGINT/SIGTERM, printing new DAG import errors as they appear; the exit code
    (signals.exit_code: 130 after Ctrl-C, 0 after SIGTERM)."""
    stack = _new_stack(console, project, port, database_url, dag_bundle)
    try:
        with interruptible():
            stack.start()
            _announce(console, stack)
            console.print("Press Ctrl-C to stop.")
            _watch(console, stack)
    except Interrupted as interrupt:
        console.print(f"Received {interrupt}.")
        return exit_code(interrupt.signum)
    finally:
        _stop(console, stack)


def _watch(console: Console, stack: LocalStack) -> NoReturn:
    """Until interrupted: report import errors once each, and stop if a component dies."""
    api = stack.api()
    feed = ImportErrorFeed()
    while True:
        stack.check()
        try:
            errors = api.import_errors()
        except ApiError as failure:
            if failure.status == 401:  # the token expired: log in again
                api = stack.api()
        except OSError:
            pass
        else:
            for error in feed.new(errors):
                message = sample.import_error_message([error], None, None)
                console.print(message, style="yellow", markup=False, highlight=False)
        time.sleep(WATCH_INTERVAL)


def _new_stack(
    console: Console, project: Path, port: int, database_url: str | None, dag_bundle: bool = False
) -> LocalStack:
    return LocalStack(
        StackOptions(project, port, database_url, dag_bundle=dag_bundle),
        report=lambda step: console.print(f"· {step}"),
        notify=_notice(console),
    )


def _on_project_stack(
    console: Console,
    project: Path,
    database_url: str | None,
    use: Callable[[StackAccess], T],
    *,
    interrupted: T,
    show_start: bool,
) -> T:
    """`use` the project's stack: the one that is up, else one started for it (on a free port) and stopped
    after. Ctrl-C/SIGTERM returns `interrupted`; a stack that was already up keeps running."""
    state = StateDir.for_project(check_project(project))
    record = stack_record.running(state)
    if record is not None and record.phase != "up":
        console.print(f"The local stack for {record.project} is still starting; waiting for it.")
        record = wait_for(
            lambda: _settled(state), timeout=HEALTH_TIMEOUT, what="the project's stack to be up"
        ).record
    if record is not None:
        if database_url:
            console.print("--database-url is ignored: the running stack has its database.", style="yellow")
        try:
            with interruptible():
                return use(AttachedStack(record))
        except Interrupted as interrupt:
            console.print(f"Received {interrupt}; the local stack stays up.")
            return interrupted
    stack = _new_stack(console, project, free_port(), database_url)
    try:
        with interruptible():
            if show_start:
                with console.status("Starting the local stack...") as status:
                    stack.report = lambda step: (console.print(f"· {step}"), status.update(f"{step}..."))  # type: ignore[assignment,func-returns-value]
                    stack.start()
                _announce(console, stack)
            else:
                stack.start()
            return use(stack)
    except Interrupted as interrupt:
        console.print(f"Received {interrupt}.")
        return interrupted
    finally:
        _stop(console, stack)


@dataclass(frozen=True)
class _Settled:
    record: StackRecord | None  # None: the stack that was starting is gone


def _settled(state: StateDir) -> _Settled | None:
    """The project's stack once it is up or gone; None while it is still starting."""
    record = stack_record.running(state)
    if record is None or record.phase == "up":
        return _Settled(record)
    return None


def run_dag(
    console: Console,
    project: Path,
    dag_id: str,
    *,
    conf: dict[str, Any] | None = None,
    database_url: str | None = None,
    dag_file: str | None = None,
    order: Sequence[str] = (),
) -> bool:
    """Run `dag_id` once on the project's stack (the one that is up, else one started and stopped for
    this run). True if the run succeeded."""

    def run(stack: StackAccess) -> bool:
        if isinstance(stack, AttachedStack):
            console.print(
                f"Using the local stack that is up for {stack.project}: {stack.record.ui_url}",
                highlight=False,
            )
        return watch_run(console, stack, dag_id, conf=conf, dag_file=dag_file, order=order).succeeded

    return _on_project_stack(console, project, database_url, run, interrupted=False, show_start=True)


def run_demo(console: Console, project: Path | None, database_url: str | None) -> bool:
    """The demo: `sample_dag` on the sample project (a fresh one by default); True if the run succeeded."""
    if project is None:
        home_project = farflow_home() / "demo"
        running = stack_record.running(StateDir.for_project(home_project))
        if running is not None:  # replacing its folder would pull the project from under a live stack
            raise StackAlreadyUp(stack_record.already_up_message(running))
        project = sample.fresh_demo_project(farflow_home())
        console.print(f"Wrote the sample project to {project}", highlight=False)
    return run_dag(
        console,
        project,
        sample.SAMPLE_DAG,
        database_url=database_url,
        dag_file=sample.SAMPLE_FILE,
        order=sample.SAMPLE_ORDER,
    )


def run_airflow(console: Console, project: Path, arguments: Sequence[str], database_url: str | None) -> int:
    """`airflow ARGS` with the scheduler's settings and secrets on the project's stack (the one that is up,
    else one started and stopped for the command); its exit code. farflow's own lines go to `console`
    (stderr), so the command's output stays clean."""
    if stack_record.running(StateDir.for_project(check_project(project))) is None:
        console.print(
            f"No local stack is up for {project}: starting one for this command "
            "(`farflow local up` keeps one running)."
        )
    return _on_project_stack(
        console,
        project,
        database_url,
        lambda stack: _airflow(stack, arguments),
        interrupted=130,
        show_start=False,
    )


def _airflow(stack: StackAccess, arguments: Sequence[str]) -> int:
    """Run the airflow CLI in the foreground, in the caller's folder, with the scheduler's environment."""
    import subprocess
    import sys

    argv = airflow_argv(*arguments, python=sys.executable)
    return subprocess.run(argv, env=cli_environment(stack.environment("scheduler")), check=False).returncode
