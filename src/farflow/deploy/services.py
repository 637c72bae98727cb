"""An Airflow component as its own Fargate service: spec-rendered container, health check, safe rollouts.

Every service rolls out with the deployment circuit breaker and rolls back on its own when the new
tasks do not become healthy, so a bad image or setting leaves the previous version running.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_servicediscovery as servicediscovery
from constructs import Construct

from farflow.deploy.config import ServiceSize
from farflow.deploy.containers import AirflowRuntime, add_airflow_container, fargate_task_definition
from farflow.deploy.metrics_agent import add_metrics_agent
from farflow.deploy.network import Placement
from farflow.spec import Component
from farflow.worker.drain import STOP_TIMEOUT_SECONDS

# Components find the api-server (the Execution API) by its Cloud Map name; a replaced task's new
# address reaches them within this TTL, short enough that a rollout's new task is used at once.
CLOUD_MAP_TTL = Duration.seconds(10)
# A rollout starts the new tasks beside the old ones and stops an old one only once a new one is healthy
# (the circuit breaker rolls back otherwise): never fewer healthy tasks than desired, at most twice as many.
MIN_HEALTHY_PERCENT = 100
MAX_HEALTHY_PERCENT = 200


@dataclass(frozen=True)
class AirflowServiceProps:
    component: Component
    size: ServiceSize
    runtime: AirflowRuntime
    cluster: ecs.ICluster
    placement: Placement
    desired_count: int = 1
    # Register in this Cloud Map namespace under the component's name (the api-server).
    namespace: servicediscovery.INamespace | None = None
    # Time a new task gets before load balancer health checks count (the api-server).
    health_check_grace: Duration | None = None
    # The CloudWatch namespace the service's metrics agent publishes to (farflow.deploy.metrics_agent).
    metrics_namespace: str | None = None


class AirflowService(Construct):
    """One component, one task definition, one Fargate service."""

    def __init__(self, scope: Construct, construct_id: str, props: AirflowServiceProps) -> None:
        super().__init__(scope, construct_id)
        component = props.component
        self.task_definition = fargate_task_definition(
            self, "TaskDefinition", props.size.cpu, props.size.memory
        )
        self.container = add_airflow_container(
            self.task_definition,
            component,
            props.runtime,
            name=component.name,
            stream_prefix=component.name,
            command=props.runtime.environment.command(component),
            # Fargate's maximum: a stopping component finishes its work (an Edge worker drains its jobs
            # within it, farflow.worker.drain).
            stop_timeout=STOP_TIMEOUT_SECONDS,
        )
        if props.metrics_namespace:
            add_metrics_agent(
                self.task_definition,
                props.metrics_namespace,
                props.runtime.environment.values.region,
                props.runtime.log_group,
            )
        cloud_map = (
            ecs.CloudMapOptions(
                name=component.name,
                cloud_map_namespace=props.namespace,
                dns_record_type=servicediscovery.DnsRecordType.A,
                dns_ttl=CLOUD_MAP_TTL,
            )
            if props.namespace
            else None
        )
        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=props.cluster,
            task_definition=self.task_definition,
            desired_count=props.desired_count,
            vpc_subnets=props.placement.subnets,
            security_groups=[props.placement.security_group],
            assign_public_ip=props.placement.assign_public_ip,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            min_healthy_percent=MIN_HEALTHY_PERCENT,
            max_healthy_percent=MAX_HEALTHY_PERCENT,
            cloud_map_options=cloud_map,
            health_check_grace_period=props.health_check_grace,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
        )
        # ECS pulls the image and reads the secrets with the execution role's policy when it starts a
        # task; CloudFormation would otherwise create the service in parallel with that policy. (A Role
        # construct holds its DefaultPolicy, so the dependency includes it.)
        self.service.node.add_dependency(
            self.task_definition.obtain_execution_role(), self.task_definition.task_role
        )
