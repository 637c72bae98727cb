"""The order CloudFormation creates (and, reversed, deletes) the stack in: what a task needs exists first.

CloudFormation creates resources in parallel unless one refers to another (Ref, Fn::GetAtt) or names it
in DependsOn; `Synthesized.needs` follows both, transitively. IAM is eventually consistent, so a role or
policy created at the same moment as the task that uses it can fail the first deploy.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.deploy import Synthesized

IAM = ("AWS::IAM::Role", "AWS::IAM::Policy")


def _role(task_definition: dict[str, Any], attribute: str) -> str:
    return str(task_definition["Properties"][attribute]["Fn::GetAtt"][0])


def _policies_of_roles(stack: Synthesized, task_definition: str) -> set[str]:
    """Every policy on the task definition's task role and execution role."""
    resource = stack.resources[task_definition]
    roles = {_role(resource, "TaskRoleArn"), _role(resource, "ExecutionRoleArn")}
    return {
        key
        for key, policy in stack.of_type("AWS::IAM::Policy").items()
        if any({"Ref": role} in policy["Properties"].get("Roles", []) for role in roles)
    }


def _execution_policy(stack: Synthesized, task_definition: str) -> str:
    """The one policy of the execution role: its DefaultPolicy (ECR pull, log streams, secrets)."""
    role = _role(stack.resources[task_definition], "ExecutionRoleArn")
    [policy] = [
        key
        for key, policy in stack.of_type("AWS::IAM::Policy").items()
        if {"Ref": role} in policy["Properties"].get("Roles", [])
    ]
    return policy


def _migration(stack: Synthesized) -> tuple[str, dict[str, Any]]:
    [(key, resource)] = stack.of_type("Custom::FarflowMigration").items()
    return key, resource


def _starters(stack: Synthesized) -> list[tuple[str, str]]:
    """(resource, its task definition) for every ECS service and the migration run."""
    found = [
        (key, service["Properties"]["TaskDefinition"]["Ref"])
        for key, service in stack.of_type("AWS::ECS::Service").items()
    ]
    key, migration = _migration(stack)
    return [*found, (key, migration["Properties"]["TaskDefinition"]["Ref"])]


@pytest.mark.parametrize("name", ["stack", "variant"])
def test_tasks_start_only_after_the_policies_of_their_roles(
    name: str, request: pytest.FixtureRequest
) -> None:
    """Image pull and secrets (the execution role's DefaultPolicy) and the task role's policies exist
    before a service or the migration starts a task."""
    stack: Synthesized = request.getfixturevalue(name)
    starters = _starters(stack)
    assert len(starters) == (6 if stack.config.worker.enabled else 5)
    for starter, task_definition in starters:
        policies = _policies_of_roles(stack, task_definition)
        execution = _execution_policy(stack, task_definition)
        assert execution in policies
        assert policies <= stack.needs(starter), starter
        assert execution in stack.resources[starter]["DependsOn"], starter


@pytest.mark.parametrize("name", ["stack", "variant"])
def test_no_role_or_policy_waits_for_the_migration(name: str, request: pytest.FixtureRequest) -> None:
    """Roles and policies are created early, in parallel with the database, so IAM has propagated
    (and key policies naming the roles are accepted) long before the services start."""
    stack: Synthesized = request.getfixturevalue(name)
    migration, _ = _migration(stack)
    late = [
        key
        for key, resource in stack.resources.items()
        if resource["Type"] in IAM and migration in stack.needs(key)
    ]
    assert late == []


def test_the_scheduler_starts_after_what_the_tasks_it_launches_pull_with(stack: Synthesized) -> None:
    """Its first Airflow task (or folder task) pulls its image with its execution role's policy."""
    scheduler, _ = stack.service_of("scheduler")
    launched = [
        key
        for key, resource in stack.of_type("AWS::ECS::TaskDefinition").items()
        if key.startswith(("AirflowTask", "FolderTasks"))
    ]
    assert len(launched) >= 2
    for task_definition in launched:
        assert _policies_of_roles(stack, task_definition) <= stack.needs(scheduler), task_definition


@pytest.mark.parametrize("name", ["stack", "variant"])
def test_the_capacity_providers_come_before_task_starters_and_go_after_the_tasks(
    name: str, request: pytest.FixtureRequest
) -> None:
    """Created before the scheduler and the teardown resource (which every service follows), deleted
    only after the teardown stopped the tasks."""
    stack: Synthesized = request.getfixturevalue(name)
    association, _ = stack.one("AWS::ECS::ClusterCapacityProviderAssociations")
    _, service = stack.service_of("scheduler")
    [(_, resource)] = stack.of_type("Custom::FarflowClusterTasks").items()
    assert association in service["DependsOn"]
    assert association in resource["DependsOn"]
    for key in stack.of_type("AWS::ECS::Service"):
        assert association in stack.needs(key), key


@pytest.mark.parametrize("name", ["stack", "variant"])
def test_the_migration_runs_after_the_database_admits_it(name: str, request: pytest.FixtureRequest) -> None:
    stack: Synthesized = request.getfixturevalue(name)
    _, resource = _migration(stack)
    [components] = resource["Properties"]["SecurityGroups"]
    _, instance = stack.one("AWS::RDS::DBInstance")
    [database] = [group["Fn::GetAtt"][0] for group in instance["Properties"]["VPCSecurityGroups"]]
    rules = [
        key
        for key, rule in stack.of_type("AWS::EC2::SecurityGroupIngress").items()
        if rule["Properties"]["GroupId"] == {"Fn::GetAtt": [database, "GroupId"]}
        and rule["Properties"]["SourceSecurityGroupId"] == components
    ]
    assert len(rules) == 1
    assert rules[0] in resource["DependsOn"]


@pytest.mark.parametrize("name", ["stack", "variant"])
def test_no_resource_waits_for_itself(name: str, request: pytest.FixtureRequest) -> None:
    """No dependency cycle: CloudFormation refuses a template with one."""
    stack: Synthesized = request.getfixturevalue(name)
    assert [key for key in stack.resources if key in stack.needs(key)] == []
