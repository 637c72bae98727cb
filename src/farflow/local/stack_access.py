"""Using a stack that is up, whether this process started it (LocalStack) or another farflow did and left
its record in `<project>/.farflow/stack.json` (AttachedStack): the REST API as the admin, boto3 against
its endpoint, and each component's environment for `farflow local airflow`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from farflow.airflow_api import AirflowApi
from farflow.local.component_processes import ProcessFailed
from farflow.local.environment import component_environment
from farflow.local.layout import SeededNames, StackLayout
from farflow.local.local_only import DUMMY_CREDENTIALS
from farflow.local.stack_record import StackRecord, is_alive
from farflow.local.state import Secrets, StateDir, load_or_create_secrets
from farflow.spec.ui_user import ADMIN_USER


class StackAccess:
    """What using a stack needs: its layout, the seeded network and the project's secrets."""

    project: Path
    state: StateDir
    layout: StackLayout | None
    seeded: SeededNames | None
    secrets: Secrets | None

    @property
    def admin_password(self) -> str:
        assert self.secrets is not None, "start() the stack first"
        return self.secrets.admin_password

    def api(self) -> AirflowApi:
        """A REST client logged in as the admin."""
        assert self.layout is not None, "start() the stack first"
        client = AirflowApi(self.layout.api_url)
        client.login(ADMIN_USER, self.admin_password)
        return client

    def aws_client(self, service: str) -> Any:
        """A boto3 client (ecs, logs, ec2) against the local endpoint."""
        import boto3

        assert self.layout is not None, "start() the stack first"
        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=self.layout.endpoint_url,
            region_name=self.layout.region,
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def environment(self, name: str) -> dict[str, str]:
        """Component `name`'s environment: its spec settings and exactly its spec secrets. Before the seed
        (no network yet) only a component that needs none of the network's slots renders."""
        assert self.layout is not None and self.secrets is not None
        return component_environment(name, os.environ, self.layout, self.seeded, self.secrets)

    def check(self) -> None:
        """Raise ProcessFailed once the stack can no longer run DAGs."""


class AttachedStack(StackAccess):
    """A stack another farflow process runs for this project, rebuilt from its record."""

    def __init__(self, record: StackRecord) -> None:
        self.record = record
        self.project = Path(record.project)
        self.state = StateDir.for_project(self.project)
        self.secrets = load_or_create_secrets(self.state.secrets_file)
        self.layout = StackLayout(
            project=self.project,
            state=self.state,
            api_port=record.api_port,
            endpoint_url=record.endpoint_url,
            database_url=record.database_url,
            region=record.region,
            stack_id=record.stack_id,
        )
        self.seeded = SeededNames(
            record.subnets, record.security_groups, record.cluster, dags_bucket=record.dags_bucket
        )

    def check(self) -> None:
        if not is_alive(self.record):
            raise ProcessFailed(
                f"The local stack for {self.project} (farflow pid {self.record.pid}) stopped; see "
                f"{self.state.logs}."
            )
