"""The database migration: once per deploy, before the services roll, and the deploy fails unless it works.

A custom resource (CDK provider framework, Lambda handlers in `handlers/migration.py`) runs the
MIGRATION component as a one-off ECS task: `airflow db migrate` (Airflow's tables and the FAB and Edge
providers' tables), then the `admin` user if it does not exist, its password from Secrets Manager. The
resource's properties include the migration task definition's ARN, which changes whenever the image or
its settings do, so every deploy that changes Airflow migrates first; the services depend on it.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import CustomResource, Duration, Stack
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_logs as logs
from constructs import Construct, IDependable

from farflow.deploy.cluster import Cluster
from farflow.deploy.containers import AirflowRuntime, add_airflow_container, fargate_task_definition
from farflow.deploy.functions import handler_function, provider
from farflow.deploy.iam import (
    MIGRATION_CHECK_ACTIONS,
    MIGRATION_START_ACTIONS,
    acknowledge_wildcards,
    grants,
)
from farflow.deploy.network import Placement
from farflow.deploy.secrets import secret_variable
from farflow.schema_gate import EXIT_AHEAD
from farflow.spec import MIGRATION, Secret
from farflow.spec.ui_user import ADMIN_USER

CONTAINER = MIGRATION.name
STREAM_PREFIX = MIGRATION.name
# A migration of a large database can take long; CloudFormation waits at most an hour for a resource.
TIMEOUT = Duration.minutes(50)
# The handler stops the task itself this long before the provider framework gives up on it.
TASK_TIMEOUT = Duration.minutes(45)
# RunTask retries (throttling, capacity) happen within the starting function's time.
START_TIMEOUT = Duration.minutes(5)


def migration_command() -> list[str]:
    """The schema gate, then `airflow db migrate` and the admin user (FAB's `users create` leaves an
    existing user alone); nothing but the gate's log line when the database is ahead of the image."""
    gate = shlex.join(("python", "-m", "farflow.schema_gate"))
    migrate = shlex.join(("airflow", *MIGRATION.command))
    password = secret_variable(Secret.ADMIN_PASSWORD)
    create_admin = (
        f"airflow users create --username {ADMIN_USER} --role Admin --firstname Airflow --lastname Admin "
        f'--email {ADMIN_USER}@example.com --password "${password}"'
    )
    script = (
        f"set -euo pipefail; gate=0; {gate} || gate=$?; "
        f'if [ "$gate" = {EXIT_AHEAD} ]; then exit 0; fi; '
        f'if [ "$gate" != 0 ]; then exit "$gate"; fi; '
        f"{migrate}; {create_admin}"
    )
    return ["bash", "-c", script]


@dataclass(frozen=True)
class MigrationProps:
    runtime: AirflowRuntime
    image: ecr_assets.DockerImageAsset
    cluster: Cluster
    placement: Placement
    function_logs: logs.ILogGroup
    # What must exist before the migration runs: the Fernet key written into its secret, the default
    # routes of the subnets it runs in (without a way out it cannot pull its image), and the database's
    # security group with its rule admitting the migration's.
    after: Sequence[IDependable]


class Migration(Construct):
    """The migration task definition and the custom resource that runs it; depend on `done`."""

    def __init__(self, scope: Construct, construct_id: str, props: MigrationProps) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.task_definition = fargate_task_definition(self, "TaskDefinition", cpu=1024, memory=2048)
        add_airflow_container(
            self.task_definition,
            MIGRATION,
            props.runtime,
            name=CONTAINER,
            stream_prefix=STREAM_PREFIX,
            command=migration_command(),
        )
        on_event = handler_function(self, "Start", "migration.on_event", props.function_logs, START_TIMEOUT)
        is_complete = handler_function(
            self, "Check", "migration.is_complete", props.function_logs, Duration.minutes(1)
        )
        cluster = (props.cluster.name, props.cluster.cluster.cluster_arn)
        families = [self.task_definition.family]
        roles = [self.task_definition.task_role, self.task_definition.obtain_execution_role()]
        for function, actions in (
            (on_event, MIGRATION_START_ACTIONS),
            (is_complete, MIGRATION_CHECK_ACTIONS),
        ):
            given = grants(stack, actions, cluster, families, roles)
            for grant in given:
                function.add_to_role_policy(grant.statement)
            if function.role is not None:
                acknowledge_wildcards(function.role, given)
        runner = provider(
            self, "Provider", props.function_logs, on_event, is_complete=is_complete, total_timeout=TIMEOUT
        )
        self.done = CustomResource(
            self,
            "Run",
            service_token=runner.service_token,
            resource_type="Custom::FarflowMigration",
            properties={
                "Cluster": props.cluster.cluster.cluster_name,
                "TaskDefinition": self.task_definition.task_definition_arn,
                "ContainerName": CONTAINER,
                "Subnets": props.placement.subnet_ids,
                "SecurityGroups": [props.placement.security_group.security_group_id],
                "AssignPublicIp": "ENABLED" if props.placement.assign_public_ip else "DISABLED",
                "LogGroup": props.runtime.log_group.log_group_name,
                "StreamPrefix": STREAM_PREFIX,
                "TimeoutSeconds": str(int(TASK_TIMEOUT.to_seconds())),
                # Says in the template which image the migration ran; the task definition ARN changes with it.
                "ImageHash": props.image.asset_hash,
            },
        )
        # The task starts with the execution role's policy (image pull, secrets), created in parallel
        # otherwise; the Role constructs hold their DefaultPolicies.
        self.done.node.add_dependency(
            self.task_definition.obtain_execution_role(), self.task_definition.task_role
        )
        for dependency in props.after:
            self.done.node.add_dependency(dependency)
