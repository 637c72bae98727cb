"""What `farflow local up` and `farflow demo` do at the terminal: start, report, wait, stop cleanly."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console

from farflow.local import demo as sample
from farflow.local.api import ApiError
from farflow.local.ports import free_port
from farflow.local.processes import ProcessFailed
from farflow.local.report import render_table
from farflow.local.signals import Interrupted, interruptible, shielded
from farflow.local.stack import LocalStack, StackOptions
from farflow.local.state import ADMIN_USER

WATCH_INTERVAL = 2.0
TABLE_WIDTH = 140


def _announce(console: Console, stack: LocalStack) -> None:
    assert stack.layout is not None
    console.print(f"[bold green]farflow is up:[/bold green] {stack.layout.ui_url}")
    # The one place the generated password is shown: the user's terminal, never a log file.
    console.print(
        f"  login: [bold]{ADMIN_USER}[/bold] / [bold]{stack.admin_password}[/bold]", highlight=False
    )
    console.print(f"  project: {stack.project}", highlight=False)
    console.print(f"  logs: {stack.state.logs}", highlight=False)


def _stop(console: Console, stack: LocalStack) -> None:
    with shielded():
        console.print("Stopping every process farflow started...")
        stack.stop()
        console.print("Stopped.")


def serve(console: Console, project: Path, port: int, database_url: str | None) -> None:
    """Run the stack until SIGINT/SIGTERM, printing new DAG import errors as they appear."""
    stack = LocalStack(
        StackOptions(project, port, database_url), report=lambda step: console.print(f"· {step}")
    )
    try:
        with interruptible():
            stack.start()
            _announce(console, stack)
            console.print("Press Ctrl-C to stop.")
            _watch(console, stack)
    except Interrupted as interrupt:
        console.print(f"Received {interrupt}.")
    finally:
        _stop(console, stack)


def _watch(console: Console, stack: LocalStack) -> None:
    """Until interrupted: report import errors once each, and stop if a component dies."""
    api = stack.api()
    seen: set[tuple[str, str]] = set()
    while True:
        for name, process in list(stack.components.items()):
            if not process.alive():
                raise ProcessFailed(
                    f"{name} exited (code {process.popen.returncode}); see {process.log_path}:\n"
                    + process.log_tail()
                )
        try:
            errors = api.import_errors()
        except ApiError as failure:
            errors = []
            if failure.status == 401:  # the token expired: log in again
                api = stack.api()
        except OSError:
            errors = []
        for error in errors:
            key = (str(error.get("filename")), str(error.get("timestamp")))
            if key not in seen:
                seen.add(key)
                message = sample.import_error_message([error], None, None)
                console.print(message, style="yellow", markup=False, highlight=False)
        time.sleep(WATCH_INTERVAL)


def run_demo(console: Console, project: Path | None, database_url: str | None) -> bool:
    """The demo; True if the sample DAG's run succeeded."""
    if project is None:
        project = sample.fresh_demo_project(sample.farflow_home())
        console.print(f"Wrote the sample project to {project}", highlight=False)
    stack = LocalStack(
        StackOptions(project, free_port(), database_url), report=lambda step: console.print(f"· {step}")
    )
    try:
        with interruptible():
            with console.status("Starting the local stack...") as status:
                stack.report = lambda step: (console.print(f"· {step}"), status.update(f"{step}..."))  # type: ignore[assignment,func-returns-value]
                stack.start()
            _announce(console, stack)
            api = stack.api()
            watch = list(stack.components.values())
            with console.status("Waiting for the dag-processor to load sample_dag...") as status:
                sample.wait_for_dag(api, sample.SAMPLE_DAG, sample.SAMPLE_FILE, watch)
                status.update("Running sample_dag...")
                run_id, state = sample.run_once(
                    api,
                    sample.SAMPLE_DAG,
                    on_progress=lambda progress: status.update(f"Running sample_dag: {progress.line()}"),
                    watch=watch,
                )
            rows = sample.result_rows(stack, api, sample.SAMPLE_DAG, run_id)
            if not console.is_terminal:
                console.width = max(console.width, TABLE_WIDTH)  # piped: room for full ECS task ids
            console.print(render_table(rows, title=f"sample_dag · {run_id} · {state}"))
            return state == "success"
    except Interrupted as interrupt:
        console.print(f"Received {interrupt}.")
        return False
    finally:
        _stop(console, stack)
