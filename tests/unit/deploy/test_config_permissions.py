"""farflow.toml's `[permissions]`: good grants load as written, each bad value is one line naming the key,
the value and the fix, all in one pass; the spec renders the grants on exactly the roles they name."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from farflow.deploy.config_file import DeployConfigError, load, parse
from farflow.deploy.config_keys import PERMISSIONS_EXAMPLE
from farflow.deploy.iam_reference import action_problem, action_warning, edit_distance
from farflow.local.roles import managed_policy_warning
from farflow.spec import Names
from farflow.spec.iam import Role, folder_statements, project_policies
from farflow.spec.iam import role_statements as statements_of
from farflow.spec.policy_size import ROLE_POLICY_BUDGET, budget_problems, role_sizes
from farflow.spec.project_permissions import ProjectPermissions, ProjectStatement, RoleGrants

GOOD = """
[permissions.airflow_task]
managed_policies = ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "arn:aws:iam::123456789012:policy/mine"]
statements = [
  { actions = ["s3:GetObject", "s3:Get*", "S3:listbucket"], resources = ["arn:aws:s3:::d", "arn:aws:s3:::d/*"] },
  { effect = "Deny", actions = ["s3:DeleteObject"], resources = ["*"], conditions = { "StringNotEqualsIfExists" = { "aws:PrincipalTag/team" = ["data", "ops"] } } },
]
[permissions.worker]
statements = [{ actions = ["dynamodb:GetItem"], resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/t"] }]
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
        (statement('["s3:GetObjectTaging"]'), ['"s3:GetObjectTaging"', '"s3:GetObjectTagging"']),
        (
            '[permissions.airflow_task]\nstatements = [{ actions = ["s3:GetObject"], resources = ["*"], '
            'principal = { AWS = "*" } }]\n',
            ["principal", "bucket's or key's own policy"],
        ),
        (
            '[permissions.airflow_task]\nstatements = [{ actions = ["s3:GetObject"], not_actions = '
            '["s3:PutObject"], resources = ["*"] }]\n',
            ["actions or not_actions, not both"],
        ),
        (
            '[permissions.airflow_task]\nstatements = [{ sid = "read-reports", actions = ["s3:GetObject"], '
            'resources = ["*"] }]\n',
            ['sid = "read-reports"', "letters and digits"],
        ),
        (statement(resources='["arn:aws:s3:::d/r\u00e9sum\u00e9/\u65e5\u672c"]'), ["U+65E5", "Latin-1"]),
        (
            '[permissions.airflow_task]\nstatements = [{ actions = ["s3:GetObject"], resources = ["*"], '
            'conditions = { "ForAnyValue:Null" = { "aws:TagKeys" = "true" } } }]\n',
            ["ForAnyValue:Null", "farflow.policy"],
        ),
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


def test_wildcards_match_case_insensitively() -> None:
    assert action_problem("s3:get*") is None
    assert action_problem("s3:Get?bject") is None
    assert action_problem("*") is None
    assert action_problem("ec2:*") is None
    assert action_warning("s3:get*") is None


def test_an_unlisted_action_of_a_known_service_is_kept_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The action list is a snapshot: a name far from every listed one may be an action AWS added since."""
    assert action_problem("s3:PutBucketQuantumEntanglement") is None
    assert action_problem("s3:Nothing*") is None
    with caplog.at_level(logging.WARNING):
        parse(statement('["s3:PutBucketQuantumEntanglement"]'), folders=())
    [warning] = [record.getMessage() for record in caplog.records]
    assert "s3:PutBucketQuantumEntanglement" in warning and "kept as written" in warning
    assert "\n" not in warning


def test_a_typo_within_two_edits_or_an_unknown_service_is_refused() -> None:
    assert action_problem("s3:GetObjekt") is not None  # one edit from s3:GetObject
    assert action_problem("s3:GteObjectAcl") is not None  # two
    assert action_problem("s3x:GetObject") is not None
    assert edit_distance("GetObject", "GetObjekt", 2) == 1
    assert edit_distance("abc", "xyzuvw", 2) == 3


def test_not_actions_not_resources_sid_and_keys_with_spaces_load() -> None:
    text = (
        '[permissions.airflow_task]\nstatements = [{ sid = "NotTheLogs1", effect = "Deny", not_actions = '
        '["s3:GetObject"], not_resources = ["arn:aws:s3:::d/monthly report.csv"] }]\n'
    )
    [given] = parse(text, folders=()).permissions.airflow_task.statements
    assert given.document() == {
        "Sid": "NotTheLogs1",
        "Effect": "Deny",
        "NotAction": ["s3:GetObject"],
        "NotResource": ["arn:aws:s3:::d/monthly report.csv"],
    }


def with_region(region: str, account: str = "") -> str:
    return f'[project]\nregion = "{region}"\naccount = "{account}"\n'


@pytest.mark.parametrize(
    ("region", "arn", "partition"),
    [
        ("cn-north-1", "arn:aws:s3:::d/*", "aws-cn"),
        ("us-gov-west-1", "arn:aws-cn:s3:::d/*", "aws-us-gov"),
        ("eu-west-1", "arn:aws-us-gov:s3:::d/*", "aws"),
    ],
)
def test_an_arn_of_another_partition_than_the_region_s_is_refused(
    region: str, arn: str, partition: str
) -> None:
    line = one_line(with_region(region) + statement(resources=f'["{arn}"]'))
    assert f'statements resources: "{arn}"' in line and f'region = "{region}" is in {partition}' in line
    assert f'"arn:{partition}:s3:::d/*"' in line


def test_any_partition_without_a_region_and_the_own_one_with_it() -> None:
    for arn in ("arn:aws-cn:s3:::d/*", "arn:aws:s3:::d/*"):
        parse(with_region("") + statement(resources=f'["{arn}"]'), folders=())
    parse(with_region("cn-northwest-1") + statement(resources='["arn:aws-cn:s3:::d/*"]'), folders=())
    managed = '[permissions.airflow_task]\nmanaged_policies = ["arn:aws-cn:iam::aws:policy/ReadOnlyAccess"]\n'
    parse(with_region("cn-north-1") + managed, folders=())
    assert "partition aws-cn" in one_line(with_region("us-east-1") + managed)


def test_a_customer_managed_policy_of_another_account_is_refused() -> None:
    mine = '[permissions.airflow_task]\nmanaged_policies = ["arn:aws:iam::123456789012:policy/mine"]\n'
    parse(with_region("us-east-1", "123456789012") + mine, folders=())
    parse(with_region("us-east-1") + mine, folders=())  # the account is the credentials'
    line = one_line(with_region("us-east-1", "210987654321") + mine)
    assert "belongs to account 123456789012" in line and 'account = "210987654321"' in line


def managed(count: int) -> str:
    arns = ", ".join(f'"arn:aws:iam::aws:policy/P{index}"' for index in range(count))
    return f"[permissions.airflow_task]\nmanaged_policies = [{arns}]\n"


def test_managed_policies_over_the_raised_quota_are_refused_and_over_the_default_warned(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        parse(managed(10), folders=())
        assert caplog.records == []
        parse(managed(11), folders=())
    [warning] = [record.getMessage() for record in caplog.records]
    assert "11 policies" in warning and "Managed policies per role" in warning
    line = one_line(managed(21))
    assert "21 policies" in line and "at most 20" in line


def test_inline_policies_over_the_role_budget_are_refused_with_the_sizes() -> None:
    many = ", ".join(
        f'{{ actions = ["s3:GetObject"], resources = ["arn:aws:s3:::bucket-number-{index}/reports/*"] }}'
        for index in range(120)
    )
    line = one_line(f"[permissions.tasks.number_task]\nstatements = [{many}]\n")
    assert line.startswith("farflow.toml: [permissions.tasks.number_task]: ")
    assert "over IAM's 10,240 per role" in line and "farflow's own" in line
    assert "managed policy" in line and "wildcards" in line


def test_the_sample_project_s_roles_fit_the_budget_with_room() -> None:
    sizes = role_sizes(ProjectPermissions(), Names(), worker=True, folders=("multi_task", "number_task"))
    assert {size.table for size in sizes} == {
        "permissions.airflow_task",
        "permissions.worker",
        "permissions.tasks.multi_task",
        "permissions.tasks.number_task",
    }
    assert all(0 < size.own < ROLE_POLICY_BUDGET * 0.8 and size.project == 0 for size in sizes)


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


def test_too_many_task_folders_are_named_as_the_cause_when_farflow_s_own_policies_fill_the_budget() -> None:
    [line, *_] = budget_problems(
        ProjectPermissions(), Names(), worker=True, folders=[f"f{i}" for i in range(20)]
    )
    assert "farflow.toml's 0" in line and "20 tasks/ folders" in line and "use fewer folders" in line
    assert not budget_problems(
        ProjectPermissions(), Names(), worker=True, folders=[f"f{i}" for i in range(MOST_FOLDERS)]
    )


# docs/deploy.md's figure: farflow's own policies on the Airflow task role, every role named by a
# distinct 64-character name, fit this many tasks/<name> folders and no more.
MOST_FOLDERS = 10


def test_each_role_is_counted_as_its_own_longest_arn() -> None:
    """Every role of the stack has its own ARN: the guard names each, so the bound counts each."""
    folders = [f"f{i}" for i in range(MOST_FOLDERS + 1)]
    [line, *_] = budget_problems(ProjectPermissions(), Names(), worker=True, folders=folders)
    assert line.startswith(("[permissions.airflow_task]", "[permissions.worker]"))
    assert f"{MOST_FOLDERS + 1} tasks/ folders" in line
    sizes = role_sizes(ProjectPermissions(), Names(), worker=True, folders=folders[:2])
    fewer = role_sizes(ProjectPermissions(), Names(), worker=True, folders=folders[:1])
    assert 250 < sizes[0].own - fewer[0].own < 350  # docs/deploy.md: about 300 characters a folder


@pytest.mark.parametrize(("first", "second"), [("a-b", "a_b"), ("number_task", "numberTask")])
def test_folders_that_would_share_a_role_output_are_refused_naming_both(first: str, second: str) -> None:
    line = one_line("", folders=(first, second))
    assert f"tasks/{first} and tasks/{second}" in line and "rename one of the folders" in line


@pytest.mark.parametrize("action", ["*", "iam:*", "sts:*", "IAM:*"])
def test_an_allow_of_every_action_or_every_iam_or_sts_action_is_refused(action: str) -> None:
    line = one_line(statement(f'["{action}"]'))
    assert f'actions: "{action}" would let the project\'s code administer the account' in line
    assert '"s3:Get*"' in line


def test_a_deny_of_every_iam_action_is_kept() -> None:
    text = '[permissions.airflow_task]\nstatements = [{ effect = "Deny", actions = ["iam:*"], resources = ["*"] }]\n'
    assert parse(text, folders=("number_task",)).permissions.airflow_task.statements


@pytest.mark.parametrize("partition", ["aws", "aws-us-gov"])
@pytest.mark.parametrize("policy", ["AdministratorAccess", "IAMFullAccess", "PowerUserAccess"])
def test_aws_s_administration_policies_are_refused(partition: str, policy: str) -> None:
    arn = f"arn:{partition}:iam::aws:policy/{policy}"
    line = one_line(f'[permissions.worker]\nmanaged_policies = ["{arn}"]\n')
    assert f'[permissions.worker] managed_policies: "{arn}" gives the project\'s code' in line
    assert "AmazonS3ReadOnlyAccess" in line
