"""The farflow stack: the constructs of `farflow.deploy`, wired together. No decisions are made here
that belong to a construct; this module only says which piece feeds which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from aws_cdk import CfnOutput, Environment, Stack, Tags
from aws_cdk import aws_ecs as ecs
from constructs import Construct

from farflow.dags import fingerprints
from farflow.deploy.alarms import Alarms, AlarmsProps
from farflow.deploy.cluster import Cluster, ClusterProps
from farflow.deploy.config import DeployConfig, ScaledService, ServiceSize
from farflow.deploy.containers import AirflowRuntime, port_of
from farflow.deploy.dag_bundle import DagBundle
from farflow.deploy.database import Database, DatabaseProps
from farflow.deploy.environment import AwsEnvironment, PlatformValues
from farflow.deploy.events import TaskEvents, TaskEventsProps
from farflow.deploy.iam import log_group_arn_without_streams
from farflow.deploy.images import airflow_image
from farflow.deploy.load_balancer import STARTUP_GRACE, LoadBalancer, LoadBalancerProps
from farflow.deploy.logs import LogGroups, LogGroupsProps
from farflow.deploy.migration import Migration, MigrationProps
from farflow.deploy.network import Network, NetworkProps, placement
from farflow.deploy.outputs import (
    ADMIN_SECRET_OUTPUT,
    AIRFLOW_TASK_ROLE_OUTPUT,
    ALARMS_TOPIC_OUTPUT,
    CLUSTER_OUTPUT,
    DAGS_BUCKET_OUTPUT,
    DASHBOARD_OUTPUT,
    IMAGE_INPUTS_OUTPUT,
    TASK_EVENTS_QUEUE_OUTPUT,
    UI_URL_OUTPUT,
    WORKER_ROLE_OUTPUT,
    folder_role_output,
)
from farflow.deploy.permissions import Permissions, PermissionsProps
from farflow.deploy.region import REGION_PROBLEM, resolve_region
from farflow.deploy.secrets import AirflowSecrets, AirflowSecretsProps
from farflow.deploy.services import AirflowService, AirflowServiceProps
from farflow.deploy.subnet_plan import public_blocks
from farflow.deploy.task_definitions import (
    AirflowTaskDefinition,
    AirflowTaskDefinitionProps,
    FolderTaskDefinitions,
    FolderTaskDefinitionsProps,
)
from farflow.deploy.teardown import ClusterTasks, ClusterTasksProps
from farflow.deploy.worker_pool import WorkerPool, WorkerPoolProps
from farflow.deploy.workload_store import WorkloadStore, WorkloadStoreProps
from farflow.spec import (
    API_SERVER,
    SCHEDULER,
    WORKER,
    Component,
    Names,
    Secret,
    airflow_task_shape,
    components,
    metrics,
    project_task_shapes,
)
from farflow.spec.iam import Role, role_of
from farflow.spec.secrets_backend import SECRETS_MANAGER
from farflow.spec.ui_user import ADMIN_USER


@dataclass(frozen=True)
class FarflowStackProps:
    project: Path
    config: DeployConfig
    env: Environment


class MissingRegionError(ValueError):
    """No Region anywhere; the message says where to set one."""


def stack_environment(config: DeployConfig, environ: Mapping[str, str]) -> Environment:
    """The account (farflow.toml's, else resolved at deploy) and the Region, which synth needs.

    The load balancer's access-log bucket policy names the Region's log delivery account, so synth
    must know the Region even offline.
    """
    # No profile here: the CDK toolkit passes its Region as CDK_DEFAULT_REGION, `farflow synth` resolves
    # the profile's into the config first.
    region = resolve_region(config.project.region, environ, profile=None)
    if not region:
        raise MissingRegionError(REGION_PROBLEM)
    return Environment(account=config.project.account or None, region=region)


def service_sizes(config: DeployConfig) -> dict[Component, ServiceSize]:
    """Each long-running component's service size, in farflow.spec.components.TABLE's order."""
    return {component: config.airflow.size(component) for component in components()}


class FarflowStack(Stack):
    """Airflow 3 on Fargate with farflow's executor, from one project folder and its DeployConfig."""

    def __init__(self, scope: Construct, construct_id: str, props: FarflowStackProps) -> None:
        config = props.config
        super().__init__(
            scope,
            construct_id,
            env=props.env,
            description="farflow: Apache Airflow 3 on AWS Fargate",
        )
        names = Names(config.project.name)
        Tags.of(self).add("farflow:project", names.prefix)
        log_groups = LogGroups(self, "Logs", LogGroupsProps(config.logs, names))
        network = Network(self, "Network", NetworkProps(config.network, log_groups.flow))
        database = Database(
            self,
            "Database",
            DatabaseProps(config.database, network.vpc, network.database_subnets, network.components),
        )
        secrets = AirflowSecrets(self, "Secrets", AirflowSecretsProps(database.secret, log_groups.functions))
        cluster = Cluster(self, "Cluster", ClusterProps(names, network.vpc))
        load_balancer = LoadBalancer(
            self,
            "LoadBalancer",
            LoadBalancerProps(config.load_balancer, network.vpc, config.logs.retention_days),
        )
        tasks = placement(network, network.tasks)
        components = placement(network, network.components)
        network.admit_tasks(port_of(API_SERVER), "Airflow tasks and Edge workers reach the api-server")
        internal_api_url = cluster.internal_url(API_SERVER)
        workload_store = WorkloadStore(self, "WorkloadStore", WorkloadStoreProps(names, log_groups.functions))
        task_events = TaskEvents(self, "TaskEvents", TaskEventsProps(names, cluster.cluster))
        dags = DagBundle(self, "DagBundle")
        airflow_task = airflow_task_shape(names, config.airflow.task_cpu, config.airflow.task_memory)
        image = airflow_image(self, "AirflowImage", props.project)
        runtime = AirflowRuntime(
            image=ecs.ContainerImage.from_docker_image_asset(image),
            environment=AwsEnvironment(
                names,
                PlatformValues(
                    region=self.region,
                    internal_api_url=internal_api_url,
                    ui_url=load_balancer.url,
                    trusted_proxies=",".join(public_blocks(config.network.cidr)),
                    subnets=tasks.subnet_ids,
                    security_groups=[network.tasks.security_group_id],
                    assign_public_ip=tasks.assign_public_ip,
                    remote_log_group_arn=log_group_arn_without_streams(
                        self, log_groups.remote.log_group_name
                    ),
                    workload_store=workload_store.url,
                    events_queue_url=task_events.queue.queue_url,
                    worker_pool=config.worker.enabled,
                    dags_bucket=dags.bucket.bucket_name,
                    airflow_options=config.airflow.options,
                    secrets_backend=config.airflow.secrets == SECRETS_MANAGER,
                ),
            ),
            secrets=secrets,
            log_group=log_groups.by_name[airflow_task.container.log_group],
        )
        airflow_tasks = AirflowTaskDefinition(
            self, "AirflowTask", AirflowTaskDefinitionProps(airflow_task, runtime)
        )
        folder_tasks = FolderTaskDefinitions(
            self,
            "FolderTasks",
            FolderTaskDefinitionsProps(project_task_shapes(props.project, names), log_groups.by_name),
        )
        migration = Migration(
            self,
            "Migration",
            MigrationProps(
                runtime,
                image,
                cluster,
                components,
                log_groups.functions,
                [
                    secrets.ready,
                    network.vpc.select_subnets(
                        subnet_type=network.placement.subnet_type
                    ).internet_connectivity_established,
                    database.security_group,
                ],
            ),
        )
        # The services' scheduler launches Airflow tasks on exactly this deploy's revision.
        pinned = replace(
            runtime,
            environment=runtime.environment.pinned_to(airflow_tasks.task_definition.task_definition_arn),
        )
        services: dict[Component, AirflowService] = {}
        for component, size in service_sizes(config).items():
            is_api = component == API_SERVER
            services[component] = AirflowService(
                self,
                component.name.title().replace("-", ""),
                AirflowServiceProps(
                    component=component,
                    size=size,
                    runtime=pinned,
                    cluster=cluster.cluster,
                    placement=components,
                    desired_count=size.count if isinstance(size, ScaledService) else 1,
                    namespace=cluster.namespace if is_api else None,
                    health_check_grace=STARTUP_GRACE if is_api else None,
                    metrics_namespace=metrics.namespace(names)
                    if component.name in metrics.SERVICES_WITH_AGENT
                    else None,
                ),
            )
        workers = (
            WorkerPool(self, "WorkerPool", WorkerPoolProps(config.worker, runtime, cluster.cluster, tasks))
            if config.worker.enabled
            else None
        )
        # The CfnServices only: the roles and policies of their task definitions are created early, in
        # parallel with the database, not held back until after the migration.
        for service in [*services.values(), *([workers.workers] if workers else [])]:
            service.service.node.add_dependency(migration.done)
        # The scheduler writes to the workload store: on stack delete its service goes before the store
        # is emptied. (Its service only: the store's key policy names the scheduler's role.)
        services[SCHEDULER].service.node.add_dependency(workload_store.emptied)
        ClusterTasks(
            self,
            "ClusterTasks",
            ClusterTasksProps(
                cluster,
                log_groups.functions,
                [
                    service.service
                    for service in [*services.values(), *([workers.workers] if workers else [])]
                ],
                list(log_groups.by_name.values()),
            ),
        )
        api = services[API_SERVER]
        load_balancer.serve(api.service, api.container.container_name, API_SERVER)
        permissions = Permissions(
            self,
            "Permissions",
            PermissionsProps(
                cluster=cluster,
                airflow_task=airflow_tasks.task_definition,
                folder_tasks=folder_tasks.task_definitions,
                services={
                    component: service.task_definition.task_role for component, service in services.items()
                },
                worker=workers.workers.task_definition.task_role if workers else None,
                task_logs=log_groups.tasks,
                remote_logs=log_groups.remote,
                workload_store=workload_store,
                events_queue=task_events.queue,
                names=names,
                dags_bucket_arn=dags.bucket.bucket_arn,
                metrics_namespace=metrics.namespace(names),
                # Every container that resolves connections and variables (secrets_backend.READERS).
                secrets_backend=config.airflow.secrets == SECRETS_MANAGER,
                project=config.permissions,
                migration=migration.task_definition.task_role,
                internal_secret_arns=[secrets.by_secret[secret].secret_arn for secret in Secret],
                execution_roles={
                    **{
                        role_of(component): service.task_definition.obtain_execution_role()
                        for component, service in services.items()
                    },
                    Role.AIRFLOW_TASK: airflow_tasks.task_definition.obtain_execution_role(),
                    **(
                        {Role.WORKER: workers.workers.task_definition.obtain_execution_role()}
                        if workers
                        else {}
                    ),
                    Role.MIGRATION: migration.task_definition.obtain_execution_role(),
                },
            ),
        )
        # CloudFormation starts a service only after the policies its tasks need exist; the scheduler's
        # tasks are the Airflow tasks it launches, which need theirs from the first launch, with the
        # execution roles' policies that pull their images (the services' own: AirflowService). A task
        # launched with a capacity provider strategy (Spot) needs the cluster's association.
        launched = [airflow_tasks.task_definition, *folder_tasks.task_definitions]
        for component, service in services.items():
            roles = [service.task_definition.task_role]
            if component == SCHEDULER:
                # Its Airflow tasks start tasks/<name> tasks at once (the operator): their roles too.
                roles += [task_definition.task_role for task_definition in launched]
                service.service.node.add_dependency(
                    cluster.capacity_providers,
                    *(task_definition.obtain_execution_role() for task_definition in launched),
                )
            service.service.node.add_dependency(*permissions.of(*roles))
        if workers:
            workers.workers.service.node.add_dependency(
                *permissions.of(workers.workers.task_definition.task_role)
            )

        alarms = Alarms(
            self,
            "Alarms",
            AlarmsProps(
                names=names,
                email=config.alarms.email,
                task_queued_timeout=metrics.task_queued_timeout(config.airflow.options),
                services={component.name: service.service for component, service in services.items()}
                | ({WORKER.name: workers.workers.service} if workers else {}),
                database=database.instance,
                allocated_storage_gb=config.database.allocated_storage_gb,
                instance_class=config.database.instance_class,
                dead_letters=task_events.dead_letters,
            ),
        )
        self._outputs(
            {
                UI_URL_OUTPUT: (load_balancer.url, "Open the Airflow UI here"),
                ADMIN_SECRET_OUTPUT: (
                    secrets.admin_password.secret_arn,
                    f"Secrets Manager secret with the password of the UI user '{ADMIN_USER}'",
                ),
                CLUSTER_OUTPUT: (cluster.cluster.cluster_name, None),
                TASK_EVENTS_QUEUE_OUTPUT: (task_events.queue.queue_url, None),
                DAGS_BUCKET_OUTPUT: (
                    dags.bucket.bucket_name,
                    "The DAG bundle's bucket: `farflow dags push` writes it",
                ),
                IMAGE_INPUTS_OUTPUT: (
                    fingerprints.to_output(fingerprints.image_inputs(props.project)),
                    "What the images were built from, by digest: `farflow dags push` compares",
                ),
                DASHBOARD_OUTPUT: (alarms.dashboard_url(), "CloudWatch dashboard"),
                ALARMS_TOPIC_OUTPUT: (alarms.topic.topic_arn, "SNS topic of the alarms"),
                **self._role_outputs(airflow_tasks, folder_tasks, workers, names),
            }
        )

    @staticmethod
    def _role_outputs(
        airflow_tasks: AirflowTaskDefinition,
        folder_tasks: FolderTaskDefinitions,
        workers: WorkerPool | None,
        names: Names,
    ) -> dict[str, tuple[str, str | None]]:
        """The task role ARN of each role that runs the project's code, for bucket and key policies."""
        why = "for a bucket or key policy; it changes if CloudFormation replaces the role"
        roles: dict[str, tuple[str, str | None]] = {
            AIRFLOW_TASK_ROLE_OUTPUT: (
                airflow_tasks.task_definition.task_role.role_arn,
                f"Airflow tasks' role, {why}",
            )
        }
        if workers:
            role = workers.workers.task_definition.task_role.role_arn
            roles[WORKER_ROLE_OUTPUT] = (role, f"Edge workers' role, {why}")
        for task_definition in folder_tasks.task_definitions:
            folder = task_definition.family.removeprefix(names.task_definition_prefix)
            roles[folder_role_output(folder)] = (
                task_definition.task_role.role_arn,
                f"tasks/{folder}'s role, {why}",
            )
        return roles

    def _outputs(self, outputs: dict[str, tuple[str, str | None]]) -> None:
        """Top-level outputs, whose logical ids are exactly their names (farflow's commands read them)."""
        for name, (value, description) in outputs.items():
            CfnOutput(self, name, value=value, description=description)
