"""Each Airflow component is its own Fargate service, rendered from the spec: environment, secrets,
health check, command; rollouts guarded by the circuit breaker; the services wait for the migration."""

from __future__ import annotations

from typing import Any

import pytest

from farflow.database_url import SECRET_VARIABLE
from farflow.deploy.environment import (
    DATABASE_URL_COMMAND,
    EDGE_EXECUTOR,
    FAB_AUTH_MANAGER,
    IMAGE_DAGS_FOLDER,
    AwsEnvironment,
)
from farflow.deploy.secrets import secret_variable
from farflow.spec import (
    AIRFLOW_TASK,
    API_SERVER,
    COMPONENTS,
    DAG_PROCESSOR,
    MIGRATION,
    SCHEDULER,
    SERVICES,
    WORKER,
    Component,
    Names,
    Secret,
)
from farflow.worker.drain import STOP_TIMEOUT_SECONDS
from tests.support.deploy import Synthesized
from tests.support.spec_settings import setting_names

RENDERED = (*SERVICES, AIRFLOW_TASK, MIGRATION)
NAMES = Names()
AIRFLOW_TASK_NAME = NAMES.airflow_container


def _container_name(component: Component) -> str:
    return AIRFLOW_TASK_NAME if component == AIRFLOW_TASK else component.name


def _environment(container: dict[str, Any]) -> dict[str, Any]:
    return {entry["Name"]: entry["Value"] for entry in container.get("Environment", [])}


def test_one_service_per_component(stack: Synthesized) -> None:
    services = stack.of_type("AWS::ECS::Service")
    assert len(services) == len(SERVICES)
    for component in SERVICES:
        stack.service_of(component.name)


@pytest.mark.parametrize("component", RENDERED, ids=lambda c: c.name)
def test_secrets_are_exactly_the_components_as_ecs_secrets(stack: Synthesized, component: Component) -> None:
    container = stack.containers()[_container_name(component)]
    assert {entry["Name"] for entry in container.get("Secrets", [])} == {
        secret_variable(secret) for secret in component.secrets
    }


@pytest.mark.parametrize("component", RENDERED, ids=lambda c: c.name)
def test_no_secret_is_a_plain_variable(stack: Synthesized, component: Component) -> None:
    environment = _environment(stack.containers()[_container_name(component)])
    assert not set(environment) & ({secret.env_var for secret in Secret} | {SECRET_VARIABLE})
    assert "resolve:secretsmanager" not in str(environment)


@pytest.mark.parametrize("component", RENDERED, ids=lambda c: c.name)
def test_environment_is_the_spec_rendered_plus_aws_extras(stack: Synthesized, component: Component) -> None:
    environment = _environment(stack.containers()[_container_name(component)])
    assert setting_names(component) <= set(environment)
    assert environment["AIRFLOW__CORE__DAGS_FOLDER"] == IMAGE_DAGS_FOLDER
    assert environment["AIRFLOW__CORE__AUTH_MANAGER"] == FAB_AUTH_MANAGER
    assert (
        environment["AIRFLOW__CORE__EXECUTOR"]
        == f"farflow.executor.EcsFargateExecutor,worker:{EDGE_EXECUTOR}"
    )
    assert environment["AIRFLOW__LOGGING__REMOTE_LOGGING"] == "True"
    has_database = Secret.DATABASE_URL in component.secrets
    assert (
        environment.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD") == DATABASE_URL_COMMAND
    ) == has_database
    assert ("CONNECTION_CHECK_MAX_COUNT" in environment) == (not has_database)


def test_executor_and_dag_names_point_at_this_stack(stack: Synthesized) -> None:
    environment = _environment(stack.containers()[SCHEDULER.name])
    assert environment["AIRFLOW__ECS_FARGATE__CLUSTER"] == NAMES.cluster == environment["FARFLOW_CLUSTER"]
    # The ARN, revision included, of this deploy's Airflow task definition (its Ref), not the family.
    airflow_task_definition, _ = stack.task_definition_of(NAMES.airflow_container)
    assert environment["AIRFLOW__ECS_FARGATE__TASK_DEFINITION"] == {"Ref": airflow_task_definition}
    assert environment["AIRFLOW__ECS_FARGATE__CONTAINER_NAME"] == NAMES.airflow_container
    assert environment["AIRFLOW__ECS_FARGATE__REGION"] == stack.config.project.region
    assert environment["AIRFLOW__ECS_FARGATE__ASSIGN_PUBLIC_IP"] == "False"
    assert environment["FARFLOW_TASK_DEFINITION_PREFIX"] == NAMES.task_definition_prefix
    assert environment["FARFLOW_LOG_GROUP"] == NAMES.task_log_group
    # Subnets and security groups are this stack's (tokens), the same for executor and DAGs.
    assert environment["AIRFLOW__ECS_FARGATE__SUBNETS"] == environment["FARFLOW_SUBNETS"]
    assert environment["AIRFLOW__ECS_FARGATE__SECURITY_GROUPS"] == environment["FARFLOW_SECURITY_GROUPS"]
    assert "NetworkTasks" in str(environment["FARFLOW_SECURITY_GROUPS"])


def test_tasks_and_workers_reach_the_api_server_by_its_internal_name(stack: Synthesized) -> None:
    internal = "http://api-server.farflow.internal:8080"
    for component in (AIRFLOW_TASK, WORKER, SCHEDULER):
        environment = _environment(stack.containers()[_container_name(component)])
        assert environment["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == f"{internal}/execution/"
    assert _environment(stack.containers()[WORKER.name])["AIRFLOW__EDGE__API_URL"] == (
        f"{internal}/edge_worker/v1/rpcapi"
    )
    assert _environment(stack.containers()[API_SERVER.name])["AIRFLOW__EDGE__API_ENABLED"] == "True"
    _, discovery = stack.one("AWS::ServiceDiscovery::Service")
    assert discovery["Properties"]["Name"] == API_SERVER.name
    _, namespace = stack.one("AWS::ServiceDiscovery::PrivateDnsNamespace")
    assert namespace["Properties"]["Name"] == "farflow.internal"


def test_remote_logs_go_to_the_remote_log_group(stack: Synthesized) -> None:
    folder = _environment(stack.containers()[AIRFLOW_TASK_NAME])["AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER"]
    joined = "".join(part if isinstance(part, str) else str(part) for part in folder["Fn::Join"][1])
    assert joined.startswith("cloudwatch://arn:")
    assert ":log-group:" in joined
    assert "LogsRemoteTaskLogs" in joined
    assert not joined.endswith(":*")


@pytest.mark.parametrize("component", SERVICES, ids=lambda c: c.name)
def test_command_and_health_check_come_from_the_spec(stack: Synthesized, component: Component) -> None:
    container = stack.containers()[component.name]
    assert container["Command"] == list(AwsEnvironment.command(component))
    assert container["Command"][: len(component.command)] == list(component.command)
    check = container["HealthCheck"]["Command"]
    if component.health_path:
        assert check[:2] == ["CMD", "curl"]
        assert check[-1] == f"http://localhost:{component.port}{component.health_path}"
    else:
        assert check == ["CMD", "airflow", *(component.health_command or ())]


@pytest.mark.parametrize("component", SERVICES, ids=lambda c: c.name)
def test_rollouts_roll_back_on_failure(stack: Synthesized, component: Component) -> None:
    _, service = stack.service_of(component.name)
    configuration = service["Properties"]["DeploymentConfiguration"]
    assert configuration["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert service["Properties"]["LaunchType"] == "FARGATE"


@pytest.mark.parametrize("component", SERVICES, ids=lambda c: c.name)
def test_services_start_only_after_their_iam_policies(stack: Synthesized, component: Component) -> None:
    """Every policy on the service's task role (and, for the scheduler, on the role of the Airflow tasks
    it launches) is created before CloudFormation starts the service."""
    _, service = stack.service_of(component.name)
    roles = [stack.role_of(component.name)]
    if component == SCHEDULER:
        roles.append(stack.role_of(NAMES.airflow_container))
    policies = {
        key
        for key, policy in stack.of_type("AWS::IAM::Policy").items()
        if not key.endswith("DefaultPolicy")
        and any({"Ref": role} in policy["Properties"].get("Roles", []) for role in roles)
    }
    assert policies <= set(service.get("DependsOn", []))
    if component != DAG_PROCESSOR:
        assert policies


@pytest.mark.parametrize("component", SERVICES, ids=lambda c: c.name)
def test_services_start_only_after_the_migration(stack: Synthesized, component: Component) -> None:
    [(migration, _)] = stack.of_type("Custom::FarflowMigration").items()
    _, service = stack.service_of(component.name)
    assert migration in service.get("DependsOn", [])


@pytest.mark.parametrize("component", SERVICES, ids=lambda c: c.name)
def test_services_run_in_private_subnets_without_public_ips(stack: Synthesized, component: Component) -> None:
    _, service = stack.service_of(component.name)
    network = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "DISABLED"
    assert all("Private" in subnet["Ref"] for subnet in network["Subnets"])


def test_sizes_come_from_the_config(stack: Synthesized) -> None:
    airflow = stack.config.airflow
    for component, size in ((API_SERVER, airflow.size(API_SERVER)), (SCHEDULER, airflow.size(SCHEDULER))):
        _, task_definition = stack.task_definition_of(component.name)
        assert task_definition["Properties"]["Cpu"] == str(size.cpu)
        assert task_definition["Properties"]["Memory"] == str(size.memory)


def test_worker_pool_scales_on_cpu_within_the_configured_bounds(stack: Synthesized) -> None:
    worker = stack.config.worker
    _, target = stack.one("AWS::ApplicationAutoScaling::ScalableTarget")
    assert (target["Properties"]["MinCapacity"], target["Properties"]["MaxCapacity"]) == (
        worker.min_count,
        worker.max_count,
    )
    _, scaling = stack.one("AWS::ApplicationAutoScaling::ScalingPolicy")
    tracking = scaling["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["TargetValue"] == worker.cpu_target_percent
    assert (
        tracking["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ECSServiceAverageCPUUtilization"
    )
    _, service = stack.service_of(WORKER.name)
    assert service["Properties"]["DesiredCount"] == worker.min_count


def test_no_public_ip_variant_puts_services_and_tasks_in_public_subnets(variant: Synthesized) -> None:
    for component in COMPONENTS:
        _, service = variant.service_of(component.name)
        network = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
        assert network["AssignPublicIp"] == "ENABLED"
        assert all("Public" in subnet["Ref"] for subnet in network["Subnets"])
    environment = _environment(variant.containers()[SCHEDULER.name])
    assert environment["AIRFLOW__ECS_FARGATE__ASSIGN_PUBLIC_IP"] == "True"
    # The sample DAG's operators give their tasks a public IP too.
    for component in (AIRFLOW_TASK,):
        assert (
            _environment(variant.containers()[_container_name(component)])["FARFLOW_ASSIGN_PUBLIC_IP"]
            == "True"
        )
    assert "Public" in str(environment["AIRFLOW__ECS_FARGATE__SUBNETS"])


def test_the_worker_runs_the_draining_entry_with_fargates_longest_stop_timeout(stack: Synthesized) -> None:
    container = stack.containers()[WORKER.name]
    assert container["Command"] == ["python", "-m", "farflow.worker"]
    assert container["StopTimeout"] == STOP_TIMEOUT_SECONDS == 120
    # The health check still asks the Edge worker itself, which the entry runs as its child.
    assert container["HealthCheck"]["Command"] == ["CMD", "airflow", "edge", "status"]


def test_without_a_worker_pool_nothing_serves_or_names_the_worker_alias(variant: Synthesized) -> None:
    assert not variant.config.worker.enabled
    assert WORKER.name not in variant.containers()
    assert len(variant.of_type("AWS::ECS::Service")) == len(COMPONENTS)
    assert variant.of_type("AWS::ApplicationAutoScaling::ScalableTarget") == {}
    for component in (*COMPONENTS, AIRFLOW_TASK):
        environment = _environment(variant.containers()[_container_name(component)])
        assert environment["AIRFLOW__CORE__EXECUTOR"] == "farflow.executor.EcsFargateExecutor"
    assert "AIRFLOW__EDGE__API_ENABLED" not in _environment(variant.containers()[API_SERVER.name])
