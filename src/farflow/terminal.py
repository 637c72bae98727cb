"""The command line's two consoles: results on stdout, diagnostics (`error:`, `note:`) on stderr.

Errors go to stderr so a command's output can be piped or parsed. Output that is not a terminal (a
file, a pipe, a CI log) is not wrapped at rich's default 80 columns: a line that a file breaks in two
cannot be searched for, and a table squeezed to 80 columns wraps its cells. `COLUMNS`, when set, wins.
"""

from __future__ import annotations

import os
import sys
import traceback

from rich.console import Console
from rich.text import Text

UNWRAPPED = 1000
"""Width of a console that is not a terminal: tables take their natural width within it."""


def make_console(*, stderr: bool = False) -> Console:
    """A console that wraps at the terminal's width, and not at all when it writes to a file or pipe."""
    console = Console(stderr=stderr)
    if console.is_terminal or os.environ.get("COLUMNS"):
        return console
    return Console(stderr=stderr, width=UNWRAPPED, soft_wrap=True)


def diagnostic(console: Console, label: str, style: str, message: str) -> None:
    """`label: message` as one line: as Text, since messages quote logs whose [brackets] are not markup."""
    console.print(Text.assemble((f"{label}: ", style), message), highlight=False, soft_wrap=True)


BUG_EXIT_CODE = 70
"""sysexits' EX_SOFTWARE: farflow itself failed, unlike 1 (the command failed) or 2 (bad usage)."""


def report_bug(version: str) -> int:
    """Print the exception being handled as a plain traceback and say it is farflow's bug; the exit code.

    Only for what no check caught: everything a user can get wrong is one `error:` line instead.
    """
    print(traceback.format_exc(), end="", file=sys.stderr)
    diagnostic(
        make_console(stderr=True),
        "error",
        "bold red",
        f"this is a bug in farflow {version}, not something you did wrong: please report it with the "
        "traceback above and the command you ran.",
    )
    return BUG_EXIT_CODE
