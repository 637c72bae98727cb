"""`farflow local airflow`: Airflow's CLI with stdout left to the command's own output, so `-o json` parses."""

from __future__ import annotations

import os
import subprocess
import sys

from farflow.local.components import cli_environment

# The module that warns, on import, that graphviz is missing: `airflow dags ...` imports it before it runs,
# and the warning reaches stdout through Airflow's logs.
IMPORT_THE_WARNING = "import airflow.utils.dot_renderer"


def test_the_graphviz_warning_stays_off_stdout() -> None:
    """Side by side (each import of Airflow takes seconds): the plain environment shows the warning, so
    the second run's empty stdout is farflow's setting at work, not a machine that has graphviz."""
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", IMPORT_THE_WARNING],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for environment in (dict(os.environ), cli_environment(dict(os.environ)))
    ]
    plain, quiet = (run.communicate(timeout=120)[0] for run in runs)
    assert all(run.returncode == 0 for run in runs)
    assert "Could not import graphviz" in plain
    assert quiet == ""


def test_the_users_own_warning_filters_are_kept() -> None:
    environment = cli_environment({"PYTHONWARNINGS": "error::DeprecationWarning"})
    assert environment["PYTHONWARNINGS"].split(",") == [
        "error::DeprecationWarning",
        "ignore:Could not import graphviz",
    ]
