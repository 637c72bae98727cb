"""One rendering of an Airflow container, shared by the services, the migration and the Airflow task.

Environment = the spec's settings rendered for AWS (farflow.deploy.environment); ECS secrets = exactly
the component's secrets (farflow.deploy.secrets); health check = the component's, as an ECS check; logs
to the Airflow log group with the awslogs driver.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from constructs import Construct

from farflow.deploy.environment import AwsEnvironment
from farflow.deploy.nag import acknowledge
from farflow.deploy.secrets import AirflowSecrets
from farflow.spec import Component

RUNTIME_PLATFORM = ecs.RuntimePlatform(
    cpu_architecture=ecs.CpuArchitecture.X86_64, operating_system_family=ecs.OperatingSystemFamily.LINUX
)


PLAIN_ENVIRONMENT = (
    "Only non-secret settings are plain environment variables (checked by farflow's tests); every "
    "secret arrives as an ECS secret from Secrets Manager."
)


def fargate_task_definition(
    scope: Construct, construct_id: str, cpu: int, memory: int, family: str | None = None
) -> ecs.FargateTaskDefinition:
    """A Linux/x86-64 Fargate task definition; its execution role pulls from ECR."""
    task_definition = ecs.FargateTaskDefinition(
        scope,
        construct_id,
        family=family,
        cpu=cpu,
        memory_limit_mib=memory,
        runtime_platform=RUNTIME_PLATFORM,
    )
    acknowledge(
        task_definition.obtain_execution_role(),
        "IAM5",
        "ecr:GetAuthorizationToken has no resource-level permissions; the image pull itself is limited to "
        "the image's repository.",
        "Resource::*",
    )
    return task_definition


@dataclass(frozen=True)
class AirflowRuntime:
    """What every Airflow container on AWS shares: image, environment renderer, secrets, log group."""

    image: ecs.ContainerImage
    environment: AwsEnvironment
    secrets: AirflowSecrets
    log_group: logs.ILogGroup


def port_of(component: Component) -> int:
    """The port a component serves on; asking for one of a component that serves none is a bug."""
    if component.port is None:
        raise ValueError(f"{component.name} serves no port")
    return component.port


def health_check(component: Component) -> ecs.HealthCheck | None:
    """The component's own check, run inside its container (the image has curl and airflow)."""
    if component.health_path and component.port:
        url = f"http://localhost:{component.port}{component.health_path}"
        return ecs.HealthCheck(
            command=["CMD", "curl", "--fail", "--silent", "--show-error", url],
            interval=Duration.seconds(30),
            timeout=Duration.seconds(10),
            retries=3,
            start_period=Duration.seconds(120),
        )
    if component.health_command:
        # `airflow jobs check` imports Airflow first: slow enough to need a generous timeout.
        return ecs.HealthCheck(
            command=["CMD", "airflow", *component.health_command],
            interval=Duration.seconds(60),
            timeout=Duration.seconds(45),
            retries=3,
            start_period=Duration.seconds(180),
        )
    return None


def add_airflow_container(
    task_definition: ecs.TaskDefinition,
    component: Component,
    runtime: AirflowRuntime,
    *,
    name: str,
    stream_prefix: str,
    command: Sequence[str] | None,
    stop_timeout: int | None = None,
) -> ecs.ContainerDefinition:
    """Add `component`'s container to `task_definition`, rendered from the spec."""
    acknowledge(task_definition, "ECS2", PLAIN_ENVIRONMENT)
    return task_definition.add_container(
        name,
        container_name=name,
        image=runtime.image,
        command=list(command) if command else None,
        environment=runtime.environment.for_component(component),
        secrets=runtime.secrets.for_component(component),
        logging=ecs.LogDrivers.aws_logs(stream_prefix=stream_prefix, log_group=runtime.log_group),
        health_check=health_check(component),
        port_mappings=[ecs.PortMapping(container_port=component.port)] if component.port else None,
        stop_timeout=Duration.seconds(stop_timeout) if stop_timeout else None,
        essential=True,
    )
