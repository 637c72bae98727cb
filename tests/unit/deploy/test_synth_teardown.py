"""`farflow destroy` on a stack that ran tasks: the cluster's tasks are stopped before the cluster goes."""

from __future__ import annotations

import pytest

from farflow.spec import SERVICES, Component, Names
from tests.support.deploy import Synthesized
from tests.unit.deploy.test_synth_iam import TASKS, normal

NAMES = Names()


def _resource(stack: Synthesized) -> tuple[str, dict]:
    [(key, resource)] = stack.of_type("Custom::FarflowClusterTasks").items()
    return key, resource


def test_it_is_deleted_before_the_cluster(stack: Synthesized) -> None:
    """Its Cluster property is the cluster's Ref: CloudFormation deletes it first."""
    _, resource = _resource(stack)
    cluster, _ = stack.one("AWS::ECS::Cluster")
    assert resource["Properties"]["Cluster"] == {"Ref": cluster}


def test_the_named_log_groups_outlive_the_tasks(stack: Synthesized) -> None:
    """Deleted only after the tasks that write to them stopped, so none creates one again."""
    _, resource = _resource(stack)
    named = {
        key
        for key, group in stack.of_type("AWS::Logs::LogGroup").items()
        if str(group["Properties"].get("LogGroupName", "")).startswith(f"/{NAMES.prefix}/")
    }
    assert len(named) == 3
    assert named <= set(resource.get("DependsOn", []))


@pytest.mark.parametrize("component", SERVICES, ids=lambda c: c.name)
def test_every_service_is_deleted_before_it(stack: Synthesized, component: Component) -> None:
    """A service depends on it, so the service (scheduler, workers: what starts tasks) goes first."""
    key, _ = _resource(stack)
    _, service = stack.service_of(component.name)
    assert key in service.get("DependsOn", [])


def test_its_functions_may_only_list_describe_and_stop_the_clusters_tasks(stack: Synthesized) -> None:
    functions = [
        function
        for function in stack.of_type("AWS::Lambda::Function").values()
        if function["Properties"]["Handler"].startswith("cluster_tasks.")
    ]
    assert len(functions) == 2
    for function in functions:
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        statements = [
            normal(statement)
            for policy in stack.policies_of(role)
            for statement in policy["PolicyDocument"]["Statement"]
            if any(str(action).startswith("ecs:") for action in normal(statement)["Action"])
        ]
        assert statements == [
            {"Action": ["ecs:ListTasks"], "Effect": "Allow", "Resource": ["*"]},
            {"Action": ["ecs:DescribeTasks", "ecs:StopTask"], "Effect": "Allow", "Resource": [TASKS]},
        ]
