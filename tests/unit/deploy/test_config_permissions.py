"""farflow.toml's `[permissions]`: good grants load as written, each bad value is one line naming the key,
the value and the fix, all in one pass; the spec renders the grants on exactly the roles they name."""

from __future__ import annotations

from pathlib import Path

import pytest

from farflow.deploy.config_file import DeployConfigError, load, parse
from farflow.deploy.config_keys import PERMISSIONS_EXAMPLE
from farflow.deploy.iam_reference import action_problem
from farflow.local.roles import managed_policy_warning
from farflow.spec.iam import Role, folder_statements, project_policies
from farflow.spec.iam import role_statements as statements_of
from farflow.spec.project_permissions import ProjectPermissions, ProjectStatement, RoleGrants

GOOD = """
[permissions.airflow_task]
managed_policies = ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "arn:aws:iam::123456789012:policy/mine"]
statements = [
  { actions = ["s3:GetObject", "s3:Get*", "S3:listbucket"], resources = ["arn:aws:s3:::d", "arn:aws:s3:::d/*"] },
  { effect = "Deny", actions = ["s3:DeleteObject"], resources = ["*"], conditions = { "StringNotEqualsIfExists" = { "aws:PrincipalTag/team" = ["data", "ops"] } } },
]
[permissions.worker]
statements = [{ actions = ["dynamodb:GetItem"], resources = ["arn:aws-cn:dynamodb:cn-north-1:123456789012:table/t"] }]
[permissions.tasks.number_task]
statements = [{ actions = ["s3:PutObject"], resources = ["arn:aws:s3:::d/numbers/*"] }]
"""


def project(tmp_path: Path, text: str, folders: tuple[str, ...] = ("number_task",)) -> Path:
    for folder in folders:
        (tmp_path / "tasks" / folder).mkdir(parents=True)
        (tmp_path / "tasks" / folder / "Dockerfile").write_text("FROM python:3.12-slim\n")
    (tmp_path / "farflow.toml").write_text(text)
    return tmp_path


def test_good_grants_load_as_written(tmp_path: Path) -> None:
    permissions = load(project(tmp_path, GOOD)).permissions
    assert permissions.airflow_task.managed_policies == (
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        "arn:aws:iam::123456789012:policy/mine",
    )
    allow, deny = permissions.airflow_task.statements
    assert allow.document() == {
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:Get*", "S3:listbucket"],
        "Resource": ["arn:aws:s3:::d", "arn:aws:s3:::d/*"],
    }
    assert deny.document()["Condition"] == {
        "StringNotEqualsIfExists": {"aws:PrincipalTag/team": ["data", "ops"]}
    }
    assert permissions.worker.statements[0].actions == ("dynamodb:GetItem",)
    assert permissions.folder("number_task").statements[0].resources == ("arn:aws:s3:::d/numbers/*",)


def test_the_example_farflow_init_writes_loads(tmp_path: Path) -> None:
    permissions = load(project(tmp_path, PERMISSIONS_EXAMPLE)).permissions
    assert permissions.airflow_task.statements
    assert permissions.folder("number_task")


def one_line(text: str, folders: tuple[str, ...] = ("number_task",)) -> str:
    with pytest.raises(DeployConfigError) as caught:
        parse(text, folders=folders)
    [line] = str(caught.value).splitlines()
    return line


STATEMENT = "[permissions.airflow_task]\nstatements = [{{ actions = {actions}, resources = {resources} }}]\n"


def statement(actions: str = '["s3:GetObject"]', resources: str = '["*"]') -> str:
    return STATEMENT.format(actions=actions, resources=resources)


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        (
            statement('["s3:GetObjekt"]'),
            ['"s3:GetObjekt"', "not an action of s3", 'did you mean "s3:GetObject"'],
        ),
        (statement('["s4:GetObject"]'), ['"s4:GetObject"', "no AWS service", '"s3:GetObject"']),
        (statement('["s3:Frob*"]'), ['"s3:Frob*"', "matches no action of s3"]),
        (statement('["GetObject"]'), ['"GetObject"', "<service>:<Action>"]),
        (statement(resources='["s3://my-data"]'), ['"s3://my-data"', '"arn:aws:s3:::my-data/*"']),
        (statement(resources='["arn:aws:s3:::"]'), ['"arn:aws:s3:::"', "not an ARN", "aws-us-gov"]),
        (statement(resources='["arn:azure:s3:::d"]'), ['"arn:azure:s3:::d"', "not an ARN"]),
        (statement(resources="[]"), ["resources = []", "non-empty list"]),
        (
            '[permissions.airflow_task]\nmanaged_policies = ["AmazonS3ReadOnlyAccess"]\n',
            ["managed_policies", '"AmazonS3ReadOnlyAccess"', "arn:aws:iam::aws:policy/<Name>"],
        ),
        (
            '[permissions.airflow_task]\nmanaged_policies = ["arn:aws:iam::12345:policy/x"]\n',
            ['"arn:aws:iam::12345:policy/x"', "12-digit account"],
        ),
        (
            '[permissions.airflow_task]\nstatements = [{ actions = ["s3:GetObject"], resources = ["*"], '
            'effect = "allow" }]\n',
            ['effect = "allow"', '"Allow"', '"Deny"'],
        ),
        (
            '[permissions.airflow_task]\nstatements = [{ Action = ["s3:GetObject"], actions = ["s3:GetObject"], '
            'resources = ["*"] }]\n',
            ["Action is not a key", "did you mean actions"],
        ),
        (
            '[permissions.airflow_task]\nstatements = [{ actions = ["s3:GetObject"], resources = ["*"], '
            'conditions = { StringEqual = { "aws:SourceVpc" = "vpc-1" } } }]\n',
            ["StringEqual is not an IAM condition operator", "did you mean StringEquals"],
        ),
        (
            '[permissions.airflow_task]\nstatements = [{ actions = ["s3:GetObject"], resources = ["*"], '
            'conditions = { StringEquals = { "SourceVpc" = "vpc-1" } } }]\n',
            ['"SourceVpc" is not a condition key'],
        ),
        (
            "[permissions.airflow_task]\nstatement = []\n",
            ["statement is not a key", "Did you mean statements"],
        ),
        ("[permissions.scheduler]\n", ["[permissions.scheduler] is not a role", "farflow's own roles"]),
        (
            "[permissions.airflow-task]\n",
            ["[permissions.airflow-task]", "Did you mean [permissions.airflow_task]"],
        ),
        (
            "[permissions.tasks.numbers]\n",
            ["[permissions.tasks.numbers]", "no tasks/numbers folder", "number_task"],
        ),
        (
            '[worker]\nenabled = false\n[permissions.worker]\nstatements = [{ actions = ["s3:GetObject"], '
            'resources = ["*"] }]\n',
            ["[permissions.worker]", "enabled = false"],
        ),
        ('permissions = "all"\n', ['permissions = "all"', "[permissions.airflow_task]"]),
    ],
)
def test_a_bad_value_is_one_line_naming_key_value_and_fix(text: str, pieces: list[str]) -> None:
    line = one_line(text)
    assert line.startswith("farflow.toml: ")
    for piece in pieces:
        assert piece in line, line


def test_every_problem_is_reported_in_one_pass() -> None:
    text = (
        '[permissions.airflow_task]\nmanaged_policies = ["x"]\nstatements = [{ actions = ["s3:GetObjekt", '
        '"s4:Get"], resources = ["s3://b"] }]\n[permissions.api_server]\n[permissions.tasks.none]\n'
    )
    with pytest.raises(DeployConfigError) as caught:
        parse(text, folders=())
    assert len(str(caught.value).splitlines()) == 6


def test_wildcards_match_case_insensitively_and_must_match_an_action() -> None:
    assert action_problem("s3:get*") is None
    assert action_problem("s3:Get?bject") is None
    assert action_problem("*") is None
    assert action_problem("ec2:*") is None
    assert action_problem("s3:Nothing*") is not None


GRANT = RoleGrants(statements=(ProjectStatement(("s3:GetObject",), ("arn:aws:s3:::d/*",)),))
EVERYWHERE = ProjectPermissions(airflow_task=GRANT, worker=GRANT, tasks=(("a", GRANT), ("b", GRANT)))


def test_the_spec_puts_each_grant_on_its_role_only() -> None:
    policies = project_policies(EVERYWHERE, worker=True, folders=("a",))
    expected = [GRANT.statements[0].document()]
    assert statements_of(policies, Role.AIRFLOW_TASK) == {"ProjectAirflowTask": expected}
    assert statements_of(policies, Role.WORKER) == {"ProjectWorker": expected}
    assert folder_statements(policies, "a") == {"ProjectTasks-a": expected}
    assert folder_statements(policies, "b") == {}  # no such folder in the stack
    for role in (Role.SCHEDULER, Role.API_SERVER, Role.DAG_PROCESSOR, Role.TRIGGERER, Role.MIGRATION):
        assert statements_of(policies, role) == {}


def test_no_worker_pool_no_worker_policy() -> None:
    policies = project_policies(EVERYWHERE, worker=False, folders=())
    assert [policy.name for policy in policies] == ["ProjectAirflowTask"]


def test_managed_policies_are_named_once_for_the_local_stack() -> None:
    assert managed_policy_warning(EVERYWHERE) is None
    managed = ProjectPermissions(
        tasks=(("a", RoleGrants(managed_policies=("arn:aws:iam::aws:policy/X",))),),
    )
    warning = managed_policy_warning(managed)
    assert warning is not None
    assert "[permissions.tasks.a] arn:aws:iam::aws:policy/X" in warning
    assert "\n" not in warning
