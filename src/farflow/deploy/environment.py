"""What the spec's slots hold on AWS, and the few settings only the deployed stack has.

`AwsEnvironment.for_component` is the only way a container of this app gets its plain environment: the
component's spec settings rendered with the AWS slot values, plus `aws_only_settings`, the one place for
AWS-only extras (remote logging, the database URL command, the Edge executor's API). Secrets are never
here: they arrive as ECS secrets (`farflow.deploy.secrets`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from farflow.database_tls import ASYNC_CONNECT_ARGS_PATH
from farflow.database_url import ASYNC_FLAG, SECRET_VARIABLE
from farflow.spec import (
    API_SERVER,
    WORKER,
    Component,
    Names,
    Secret,
    Slot,
    dag_bundle,
    metrics,
    render_environment,
    secrets_backend,
    worker_alias,
)
from farflow.spec.airflow_options import AirflowOption, options_environment

# Where the template's Dockerfile copies dags/ in the Airflow image.
IMAGE_DAGS_FOLDER = "/opt/airflow/dags"
# The worker pool behind the `worker` executor alias: Edge workers poll the api-server over HTTP.
EDGE_EXECUTOR = "airflow.providers.edge3.executors.EdgeExecutor"
# The api-server's APIs for tasks (the Task SDK's execution API) and Edge workers: they reach them inside
# the VPC by the internal URL, and the public load balancer answers these paths 403 (load_balancer.py).
EXECUTION_API_PATH = "/execution"
EDGE_API_PREFIX = "/edge_worker"
EDGE_API_PATH = f"{EDGE_API_PREFIX}/v1/rpcapi"
INTERNAL_PATHS = (EXECUTION_API_PATH, EDGE_API_PREFIX)
# `airflow api-server --proxy-headers` hands uvicorn proxy_headers=True (airflow/cli/commands/
# api_server_command.py, Airflow 3.3.2; without it uvicorn ignores X-Forwarded-*). uvicorn then takes
# the scheme and client address from X-Forwarded-Proto/-For only when the connection comes from an
# address in FORWARDED_ALLOW_IPS (uvicorn/config.py reads the variable; default 127.0.0.1; CIDR blocks
# are accepted), and with server_type = gunicorn Airflow keeps that variable too (api_fastapi/
# gunicorn_app.py). A request the load balancer forwarded from HTTPS then has the https scheme, and
# Airflow marks its `_token` cookie Secure (`request.base_url.scheme == "https"`,
# api_fastapi/auth/middlewares/refresh_token.py), as FAB's login does when it sets that cookie (Flask's
# `request.scheme`, the ASGI scheme through the WSGI bridge: providers/fab/www/views.py `redirect`,
# apache-airflow-providers-fab 3.10). FAB's Flask session cookie is Secure only by `[fab]
# cookie_secure` (providers/fab/www/app.py). FAB's own ProxyFix (`[fab] enable_proxy_fix`) stays off:
# it trusts the headers from any peer.
PROXY_HEADERS = "--proxy-headers"
# A login and roles fit for a shared deployment (the local stack uses Airflow's simple auth manager).
FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
# Airflow runs this (through sql_alchemy_conn's `_cmd` variant) and reads the URL from its stdout.
DATABASE_URL_COMMAND = "python -m farflow.database_url"
# The async engine's URL and TLS (asyncpg takes neither libpq's URL options nor Airflow's derived URL).
ASYNC_DATABASE_URL_COMMAND = f"{DATABASE_URL_COMMAND} {ASYNC_FLAG}"
# Seconds between the sample DAG's ECS status checks: gentler on the real ECS API than locally.
WAITER_DELAY = "15"


@dataclass(frozen=True)
class PlatformValues:
    """The values only the deployed stack knows (CloudFormation tokens at synth time)."""

    region: str
    # The api-server as tasks and workers reach it inside the VPC, e.g. http://api-server.farflow.internal:8080
    internal_api_url: str
    # Where users open the UI (the load balancer, or its domain name): https:// when it serves HTTPS.
    ui_url: str
    # The public subnets' blocks, comma-separated (uvicorn's FORWARDED_ALLOW_IPS takes a list of
    # addresses and CIDR blocks, uvicorn/middleware/proxy_headers.py `_TrustedHosts`): the load
    # balancer's nodes connect from there, so the api-server trusts their X-Forwarded-* headers from
    # there only, not from the tasks and Edge workers in the private subnets, which reach it too. (With
    # `nat_gateways = 0` those run in the public subnets as well, and the blocks cannot tell them apart.)
    trusted_proxies: str
    subnets: Sequence[str]
    security_groups: Sequence[str]
    assign_public_ip: bool
    remote_log_group_arn: str
    # s3://<bucket>/<prefix> of the workload store (farflow.deploy.workload_store).
    workload_store: str
    # The task events queue (farflow.deploy.events).
    events_queue_url: str
    # [worker] enabled: the Edge worker pool runs, behind the `worker` executor alias.
    worker_pool: bool = True
    # The DAG bundle's bucket (farflow.deploy.dag_bundle); empty: the image's dags folder.
    dags_bucket: str = ""
    # The ARN, revision included, of this deploy's Airflow task definition (`pinned_to`); until it
    # exists, the family.
    airflow_task_definition: str = ""
    # farflow.toml's [airflow.options], each on the containers that read its section.
    airflow_options: tuple[AirflowOption, ...] = ()
    # [airflow] secrets = "secrets-manager": the Secrets Manager backend under the stack's prefix.
    secrets_backend: bool = False


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
            Slot.EXECUTION_API_URL: f"{values.internal_api_url}{EXECUTION_API_PATH}/",
            Slot.API_BASE_URL: values.ui_url,
            Slot.WORKER_EXECUTOR: worker_alias(EDGE_EXECUTOR if values.worker_pool else None),
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
            Slot.DAG_BUNDLES: dag_bundle.config_list(values.dags_bucket or None),
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
            settings["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC_CMD"] = ASYNC_DATABASE_URL_COMMAND
            settings["AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC"] = ASYNC_CONNECT_ARGS_PATH
        else:
            # The official image's entrypoint would otherwise wait for a database this container never gets.
            settings["CONNECTION_CHECK_MAX_COUNT"] = "0"
        if component == API_SERVER and self.values.worker_pool:
            # Served only for a worker pool: without one, nothing may call the Edge API.
            settings["AIRFLOW__EDGE__API_ENABLED"] = "True"
        if component == API_SERVER:
            # Behind the load balancer's TLS: the scheme it forwards (see PROXY_HEADERS), trusted from the
            # public subnets only, and FAB's session cookie Secure whenever users reach the UI over HTTPS.
            settings["FORWARDED_ALLOW_IPS"] = self.values.trusted_proxies
            settings["AIRFLOW__FAB__COOKIE_SECURE"] = str(self.values.ui_url.startswith("https://"))
        if component.name in metrics.SERVICES_WITH_AGENT:
            settings.update(metrics.statsd_settings())
        if self.values.secrets_backend and component.name in secrets_backend.READERS:
            settings.update(secrets_backend.backend_settings(self.names))
        if component == WORKER:
            settings["AIRFLOW__EDGE__API_URL"] = f"{self.values.internal_api_url}{EDGE_API_PATH}"
        return settings

    @staticmethod
    def command(component: Component) -> tuple[str, ...]:
        """The component's command on AWS: the spec's, and the api-server reads the load balancer's headers."""
        return (*component.command, PROXY_HEADERS) if component == API_SERVER else component.command

    def for_component(self, component: Component) -> dict[str, str]:
        """The component's plain environment on AWS: its spec settings, the AWS-only extras, the user's
        Airflow options (which the config file keeps off farflow's own: a clash here is a bug)."""
        environment = render_environment(component, self.slots)
        extras = self.aws_only_settings(component)
        options = options_environment(component.name, self.values.airflow_options)
        clashes = (set(environment) & set(extras)) | (set(options) & (set(environment) | set(extras)))
        if clashes:
            raise ValueError(f"Settings may not redefine each other: {sorted(clashes)}")
        secret_variables = {secret.env_var for secret in Secret} | {SECRET_VARIABLE}
        leaked = (set(environment) | set(extras)) & secret_variables
        if leaked:
            raise ValueError(f"Secrets may not be plain environment variables: {sorted(leaked)}")
        return {**environment, **extras, **options}
