"""farflow.toml's `[permissions]` in the template: each grant on the role it names, nothing elsewhere."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_iam as iam

from farflow.deploy.iam import policy, rendered
from farflow.deploy.nag import checked_app
from farflow.spec import iam as spec
from farflow.spec.iam import PROJECT_REASON
from tests.support.deploy import AWS_MANAGED, DATA, OWN_MANAGED, Synthesized

FARFLOW_OWN = ("scheduler", "api-server", "dag-processor", "triggerer", "migration")


def project_policies(stack: Synthesized, role_id: str) -> dict[str, list[dict[str, Any]]]:
    """The project's named policies on one role, by construct path."""
    return {
        stack.construct_path(logical_id): resource["Properties"]["PolicyDocument"]["Statement"]
        for logical_id, resource in stack.of_type("AWS::IAM::Policy").items()
        if {"Ref": role_id} in resource["Properties"]["Roles"]
        and stack.construct_path(logical_id).startswith("Permissions/Project")
    }


def managed_arns(stack: Synthesized, role_id: str) -> list[Any]:
    return list(stack.resources[role_id]["Properties"].get("ManagedPolicyArns", []))


def test_the_airflow_task_role_gets_the_project_s_statements_as_written(variant: Synthesized) -> None:
    role = variant.role_of("airflow")
    assert project_policies(variant, role) == {
        "Permissions/ProjectAirflowTask": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:List*"], "Resource": [DATA, f"{DATA}/*"]},
            {
                "Effect": "Deny",
                "Action": "s3:DeleteObject",
                "Resource": f"{DATA}/*",
                "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "data"}},
            },
        ]
    }
    assert managed_arns(variant, role) == [AWS_MANAGED, OWN_MANAGED]


def test_a_tasks_folder_role_gets_its_own_table_only(variant: Synthesized) -> None:
    number = variant.role_of("number_task")
    assert project_policies(variant, number) == {
        "Permissions/ProjectTasks-number_task": [
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{DATA}/numbers/*"}
        ]
    }
    assert managed_arns(variant, number) == ["arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"]
    multi = variant.role_of("multi_task")
    assert project_policies(variant, multi) == {}
    assert managed_arns(variant, multi) == []


def test_farflow_s_own_roles_get_nothing_of_the_project_s(variant: Synthesized) -> None:
    for container in FARFLOW_OWN:
        role = variant.role_of(container)
        assert project_policies(variant, role) == {}, container
        assert managed_arns(variant, role) == [], container


def test_without_permissions_no_role_has_a_project_policy(stack: Synthesized) -> None:
    paths = [stack.construct_path(logical_id) for logical_id in stack.of_type("AWS::IAM::Policy")]
    assert [path for path in paths if path.startswith("Permissions/Project")] == []


@pytest.mark.parametrize("action", ["*", "iam:*"])
def test_a_blanket_grant_is_left_for_cdk_nag_to_report(action: str, tmp_path: Path) -> None:
    """A project's `*` (or `iam:*`) is never acknowledged: the synth's checks name it and fail."""
    app = checked_app(tmp_path)
    stack = Stack(app, "Blanket")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    given = [
        spec.Grant({"Effect": "Allow", "Action": [action, "s3:Get*"], "Resource": ["*"]}, PROJECT_REASON)
    ]
    policy(stack, "Project", rendered(given), [role])
    with pytest.raises(Exception, match=re.escape(f"AwsSolutions-IAM5[Action::{action}]")) as caught:
        app.synth()
    assert "Action::s3:Get*" not in str(caught.value)
