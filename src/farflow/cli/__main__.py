"""`python -m farflow.cli`: the `farflow` command, where its console script is not on PATH."""

from farflow.cli import app

app()
