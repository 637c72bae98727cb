"""What every `farflow` command module shares: the consoles, the one-line failure, and the options."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from farflow.terminal import diagnostic, make_console

console = make_console()
errors = make_console(stderr=True)

ProjectOption = Annotated[
    Path, typer.Option("--project", "-p", help="The farflow project folder (with dags/ and tasks/).")
]


def fail(message: str, code: int = 2) -> typer.Exit:
    """One `error:` line on stderr; the caller raises the returned exit."""
    diagnostic(errors, "error", "bold red", message)
    return typer.Exit(code)


def plain(line: str) -> None:
    """Print `line` as it is: paths, ARNs and commands are neither markup nor emoji codes (an ARN's
    ":secret:" is one)."""
    console.print(Text(line), highlight=False, soft_wrap=True)
