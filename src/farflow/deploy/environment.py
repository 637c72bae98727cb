"""What the spec's slots hold on AWS, and the few settings only the deployed stack has.

`AwsEnvironment.for_component` is the only way a container of this app gets its plain environment: the
component's spec settings rendered with the AWS slot values, plus `aws_only_settings`, the one place for
AWS-only extras (remote logging, the database URL command, the Edge executor's API). Secrets are never
here: they arrive as ECS secrets (`farflow.deploy.secrets`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from farflow.database_url import SECRET_VARIABLE
from farflow.spec import API_SERVER, WORKER, Component, Names, Secret, Slot, render_environment

# Where the template's Dockerfile copies dags/ in the Airflow image.
IMAGE_DAGS_FOLDER = "/opt/airflow/dags"
# The worker pool behind the `worker` executor alias: Edge workers poll the api-server over HTTP.
EDGE_EXECUTOR = "airflow.providers.edge3.executors.EdgeExecutor"
EDGE_API_PATH = "/edge_worker/v1/rpcapi"
# A login and roles fit for a shared deployment (the local stack uses Airflow's simple auth manager).
FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
# Airflow runs this (through sql_alchemy_conn's `_cmd` variant) and reads the URL from its stdout.
DATABASE_URL_COMMAND = "python -m farflow.database_url"
# Seconds between the sample DAG's ECS status checks: gentler on the real ECS API than locally.
WAITER_DELAY = "15"


@dataclass(frozen=True)
class PlatformValues:
    """The values only the deployed stack knows (CloudFormation tokens at synth time)."""

    region: str
    # The api-server as tasks and workers reach it inside the VPC, e.g. http://api-server.farflow.internal:8080
    internal_api_url: str
    # Where users open the UI (the load balancer).
    ui_url: str
    subnets: Sequence[str]
    security_groups: Sequence[str]
    assign_public_ip: bool
    remote_log_group_arn: str
    # s3://<bucket>/<prefix> of the workload store (farflow.deploy.workload_store).
    workload_store: str
    # The task events queue (farflow.deploy.events).
    events_queue_url: str
    # The ARN, revision included, of this deploy's Airflow task definition (`pinned_to`); until it
    # exists, the family.
    airflow_task_definition: str = ""


@dataclass(frozen=True)
class AwsEnvironment:
    """Renders each component's plain environment on AWS from the spec and the platform's values."""

    names: Names
    values: PlatformValues

    @property
    def slots(self) -> dict[Slot, str]:
        """Every spec slot, filled for AWS."""
        names, values = self.names, self.values
        return {
            Slot.DAGS_FOLDER: IMAGE_DAGS_FOLDER,
            Slot.EXECUTION_API_URL: f"{values.internal_api_url}/execution/",
            Slot.API_BASE_URL: values.ui_url,
            Slot.WORKER_EXECUTOR: EDGE_EXECUTOR,
            Slot.AUTH_MANAGER: FAB_AUTH_MANAGER,
            Slot.REGION: values.region,
            Slot.CLUSTER: names.cluster,
            Slot.AIRFLOW_TASK_DEFINITION: values.airflow_task_definition or names.airflow_family,
            Slot.AIRFLOW_CONTAINER: names.airflow_container,
            Slot.TASK_DEFINITION_PREFIX: names.task_definition_prefix,
            Slot.SUBNETS: ",".join(values.subnets),
            Slot.SECURITY_GROUPS: ",".join(values.security_groups),
            Slot.ASSIGN_PUBLIC_IP: str(values.assign_public_ip),
            Slot.TASK_LOG_GROUP: names.task_log_group,
            # Airflow's CloudWatch remote logging takes the log group's ARN behind this scheme.
            Slot.REMOTE_LOG_FOLDER: f"cloudwatch://{values.remote_log_group_arn}",
            Slot.WAITER_DELAY: WAITER_DELAY,
            Slot.WORKLOAD_STORE: values.workload_store,
            Slot.EVENTS_QUEUE_URL: values.events_queue_url,
        }

    def pinned_to(self, task_definition_arn: str) -> AwsEnvironment:
        """This environment with the executor's `[ecs_fargate] task_definition` at one revision.

        RunTask with a family alone runs its latest ACTIVE revision (ECS API reference, RunTask,
        `taskDefinition`), which during a rolling deploy belongs to the new deploy while the old
        scheduler still runs; with the ARN each scheduler launches the revision of its own deploy.
        """
        return replace(self, values=replace(self.values, airflow_task_definition=task_definition_arn))

    def aws_only_settings(self, component: Component) -> dict[str, str]:
        """The AWS-only extras of one component: the one place they are written."""
        slots = self.slots
        settings = {
            # Task logs go to CloudWatch, so the UI shows them after the task's container is gone.
            "AIRFLOW__LOGGING__REMOTE_LOGGING": "True",
            "AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER": slots[Slot.REMOTE_LOG_FOLDER],
            "AWS_DEFAULT_REGION": slots[Slot.REGION],
        }
        if Secret.DATABASE_URL in component.secrets:
            settings["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD"] = DATABASE_URL_COMMAND
        else:
            # The official image's entrypoint would otherwise wait for a database this container never gets.
            settings["CONNECTION_CHECK_MAX_COUNT"] = "0"
        if component == API_SERVER:
            settings["AIRFLOW__EDGE__API_ENABLED"] = "True"
        if component == WORKER:
            settings["AIRFLOW__EDGE__API_URL"] = f"{self.values.internal_api_url}{EDGE_API_PATH}"
        return settings

    def for_component(self, component: Component) -> dict[str, str]:
        """The component's plain environment on AWS: its spec settings, then the AWS-only extras."""
        environment = render_environment(component, self.slots)
        extras = self.aws_only_settings(component)
        clashes = set(environment) & set(extras)
        if clashes:
            raise ValueError(f"AWS-only settings may not redefine spec settings: {sorted(clashes)}")
        secret_variables = {secret.env_var for secret in Secret} | {SECRET_VARIABLE}
        leaked = (set(environment) | set(extras)) & secret_variables
        if leaked:
            raise ValueError(f"Secrets may not be plain environment variables: {sorted(leaked)}")
        return {**environment, **extras}
