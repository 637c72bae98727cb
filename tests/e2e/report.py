"""Why a run went wrong, for a failing test's message: the run's table and each failed task's report, as
`farflow local run` prints them."""

from __future__ import annotations

import io

from rich.console import Console

from farflow.local.dag_run import print_failures
from farflow.local.demo import result_rows
from farflow.local.demo_table import render_table
from farflow.local.stack import LocalStack


def why_failed(stack: LocalStack, dag_id: str, run_id: str) -> str:
    console = Console(record=True, width=200, file=io.StringIO())
    rows = result_rows(stack, stack.api(), dag_id, run_id, order=())
    console.print(render_table(rows, title=dag_id))
    print_failures(console, stack, dag_id, run_id, rows)
    return console.export_text()
