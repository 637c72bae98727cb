"""The `farflow` command line."""

from __future__ import annotations

import typer
from rich.console import Console

from farflow import __version__

app = typer.Typer(help="Apache Airflow on AWS Fargate, serverless end to end.", no_args_is_help=True)
console = Console()


@app.callback()
def main() -> None:
    """Apache Airflow on AWS Fargate, serverless end to end."""


@app.command()
def version() -> None:
    """Print farflow's version."""
    console.print(f"farflow {__version__}")


if __name__ == "__main__":
    app()
