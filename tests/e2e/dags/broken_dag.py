"""A DAG file that fails to import, so the tests see how farflow reports it."""

from __future__ import annotations

import farflow_module_that_does_not_exist  # noqa: F401
from airflow.sdk import DAG

with DAG(dag_id="farflow_e2e_broken", schedule=None):
    pass
