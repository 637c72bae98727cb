"""A local stack's layout, seeded names and secrets as the environment tests use them: fixed, recognisable values."""

from __future__ import annotations

from pathlib import Path

from farflow.local.layout import SeededNames, StackLayout
from farflow.local.state import Secrets, StateDir

SECRETS = Secrets(jwt_secret="jwt", secret_key="key", fernet_key="fernet", admin_password="pw")
SEEDED = SeededNames(subnets=("subnet-1", "subnet-2"), security_groups=("sg-1",))


def example_layout(project: Path) -> StackLayout:
    """A stack in `project` with the UI on port 8123 and the endpoint on 5555, on a SQLite file in its state."""
    state = StateDir.for_project(project)
    return StackLayout(
        project=project,
        state=state,
        api_port=8123,
        endpoint_url="http://127.0.0.1:5555",
        database_url=f"sqlite:///{state.airflow_home / 'airflow.db'}",
    )
