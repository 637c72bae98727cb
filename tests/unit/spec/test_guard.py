"""farflow's guard on the roles that run the project's code: with a grant of everything (`*` on `*`), the
policies the local stack seeds (`farflow.spec.iam.stack_policies`, decided by `farflow.policy` as the
local endpoint decides) still deny acting as farflow, and keep what farflow's own statements allow."""

from __future__ import annotations

import pytest

from farflow.local.roles import (
    LocalResources,
    execution_role_name,
    folder_role_name,
    internal_secret_arn,
    role_name,
    targets,
)
from farflow.policy import Request, authorize, parse_policy
from farflow.spec import Names, Secret
from farflow.spec.iam import Role, folder_statements, own_roles, role_statements, stack_policies
from farflow.spec.project_permissions import ProjectPermissions, ProjectStatement, RoleGrants

NAMES = Names()
REGION, ACCOUNT = "us-east-1", "123456789012"
FOLDER = "number_task"
EVERYTHING = RoleGrants(statements=(ProjectStatement(("*",), ("*",)),))
LOCAL = LocalResources(
    account=ACCOUNT,
    region=REGION,
    cluster_name=NAMES.cluster,
    cluster_arn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{NAMES.cluster}",
    bucket="farflow-workloads",
    key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/local",
    queue_url="",
    queue_arn=f"arn:aws:sqs:{REGION}:{ACCOUNT}:farflow-task-events",
    rule_arn=f"arn:aws:events:{REGION}:{ACCOUNT}:rule/farflow-task-events",
    dags_bucket="farflow-dags",
)
STACK = targets(
    LOCAL,
    NAMES,
    [FOLDER],
    worker=True,
    project=ProjectPermissions(airflow_task=EVERYTHING, worker=EVERYTHING, tasks=((FOLDER, EVERYTHING),)),
)
POLICIES = stack_policies(STACK)
ROLES = {
    "airflow_task": role_statements(POLICIES, Role.AIRFLOW_TASK),
    "worker": role_statements(POLICIES, Role.WORKER),
    "tasks": folder_statements(POLICIES, FOLDER),
}


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def allowed(runner: str, action: str, resource: str, **keys: str) -> bool:
    identity = [parse_policy(statements) for statements in ROLES[runner].values()]
    return authorize(Request(action, resource, keys=keys), identity).allowed


PASSED = {"iam:PassedToService": "ecs-tasks.amazonaws.com"}


@pytest.mark.parametrize("runner", list(ROLES))
def test_a_grant_of_everything_cannot_act_as_farflow(runner: str) -> None:
    assert allowed(runner, "s3:GetObject", "arn:aws:s3:::any-data/x")  # the grant works
    for own in own_roles():
        assert not allowed(runner, "iam:PassRole", role_arn(role_name(NAMES, own)), **PASSED), own
    assert not allowed(runner, "iam:PassRole", role_arn(execution_role_name(NAMES, "airflow-task")), **PASSED)
    for role in (role_name(NAMES, Role.AIRFLOW_TASK), folder_role_name(NAMES, FOLDER)):
        assert not allowed(runner, "iam:PutRolePolicy", role_arn(role))
        assert not allowed(runner, "iam:DeleteRolePolicy", role_arn(role))
    account = STACK.account
    for secret in Secret:
        for action in (
            "secretsmanager:GetSecretValue",
            "secretsmanager:PutResourcePolicy",
            "secretsmanager:ReplicateSecretToRegions",
            "secretsmanager:RotateSecret",
            "secretsmanager:UpdateSecretVersionStage",
            "secretsmanager:RestoreSecret",
        ):
            assert not allowed(runner, action, internal_secret_arn(account, NAMES, secret)), action
    jwt = internal_secret_arn(account, NAMES, Secret.JWT_SECRET).replace("??????", "AbC123")
    assert not allowed(runner, "secretsmanager:GetSecretValue", jwt)
    for bucket in (LOCAL.dags_bucket, LOCAL.bucket):
        assert not allowed(runner, "s3:PutObject", f"arn:aws:s3:::{bucket}/dags/evil.py")
        assert not allowed(runner, "s3:PutBucketPolicy", f"arn:aws:s3:::{bucket}")
    assert not allowed(runner, "s3:DeleteObject", f"arn:aws:s3:::{LOCAL.dags_bucket}/dags/sample.py")


@pytest.mark.parametrize("runner", list(ROLES))
def test_what_farflow_grants_stays_allowed(runner: str) -> None:
    """The folder roles stay passable (the operator passes them), the secrets backend's prefixes readable."""
    for role in (folder_role_name(NAMES, FOLDER), execution_role_name(NAMES, FOLDER)):
        assert allowed(runner, "iam:PassRole", role_arn(role), **PASSED)
    backend = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:farflow/connections/db-AbC123"
    assert allowed(runner, "secretsmanager:GetSecretValue", backend)


def test_the_airflow_task_still_reads_and_deletes_its_own_workload_object_only() -> None:
    own = f"arn:aws:s3:::{LOCAL.bucket}/workloads/{NAMES.airflow_family}/token.json"
    assert allowed("airflow_task", "s3:GetObject", own)
    assert allowed("airflow_task", "s3:DeleteObject", own)
    assert not allowed("airflow_task", "s3:PutObject", own)
    for runner in ("worker", "tasks"):
        assert not allowed(runner, "s3:DeleteObject", own)


def test_without_the_guard_the_grant_would_reach_farflow() -> None:
    """The guard is what denies: the same roles without it allow all of the above."""
    unguarded = {name: s for name, s in ROLES["airflow_task"].items() if not name.startswith("Guard")}
    identity = [parse_policy(statements) for statements in unguarded.values()]
    scheduler = role_arn(role_name(NAMES, Role.SCHEDULER))
    assert authorize(Request("iam:PassRole", scheduler, keys=PASSED), identity).allowed


@pytest.mark.parametrize("runner", list(ROLES))
def test_a_grant_of_everything_cannot_administer_the_account(runner: str) -> None:
    """No IAM identity, policy or credential written anywhere, no CDK bootstrap role assumed, the stack
    left alone (its name is the prefix: farflow.deploy.config.stack_name)."""
    iam = f"arn:aws:iam::{ACCOUNT}"
    for action, resource in [
        ("iam:CreateUser", f"{iam}:user/backdoor"),
        ("iam:CreateAccessKey", f"{iam}:user/admin"),
        ("iam:AttachUserPolicy", f"{iam}:user/admin"),
        ("iam:CreateRole", f"{iam}:role/escape"),
        ("iam:CreatePolicyVersion", f"{iam}:policy/any"),
        ("iam:PutGroupPolicy", f"{iam}:group/admins"),
        ("iam:AddUserToGroup", f"{iam}:group/admins"),
        ("iam:UpdateLoginProfile", f"{iam}:user/admin"),
        ("iam:UploadSSHPublicKey", f"{iam}:user/admin"),
        ("iam:DeleteRolePolicy", role_arn(folder_role_name(NAMES, FOLDER))),
        ("sts:AssumeRole", f"{iam}:role/cdk-hnb659fds-deploy-role-{ACCOUNT}-{REGION}"),
        ("cloudformation:UpdateStack", f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{NAMES.prefix}/1-2"),
        ("cloudformation:DeleteStack", f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{NAMES.prefix}/1-2"),
    ]:
        assert not allowed(runner, action, resource), action
    assert allowed(runner, "iam:GetRole", f"{iam}:role/any")  # reads stay the grant's
    assert allowed(runner, "sts:AssumeRole", f"{iam}:role/data-reader")
    assert allowed(
        runner, "cloudformation:UpdateStack", f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/other/1"
    )


@pytest.mark.parametrize("runner", list(ROLES))
def test_a_grant_of_everything_cannot_take_the_workload_key(runner: str) -> None:
    """The key policy lets IAM policies administer the key: the guard denies all but using it."""
    for action in ("kms:CreateGrant", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey"):
        assert not allowed(runner, action, LOCAL.key_arn), action
    assert allowed(runner, "kms:CreateGrant", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/the-project-s")


def test_the_airflow_task_still_decrypts_its_own_workload_through_s3_only() -> None:
    own = f"arn:aws:s3:::{LOCAL.bucket}/workloads/{NAMES.airflow_family}/token.json"
    via_s3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": own}
    assert allowed("airflow_task", "kms:Decrypt", LOCAL.key_arn, **via_s3)
    for runner in ("worker", "tasks"):
        assert not allowed(runner, "kms:Decrypt", LOCAL.key_arn, **via_s3)
        assert not allowed(runner, "kms:DescribeKey", LOCAL.key_arn)
        assert not allowed(runner, "s3:GetObject", own)


@pytest.mark.parametrize("runner", list(ROLES))
def test_a_grant_of_everything_opens_no_access_point(runner: str) -> None:
    point = f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/side-door"
    assert not allowed(runner, "s3:CreateAccessPoint", point)
    assert not allowed(
        runner,
        "s3:CreateAccessPointForObjectLambda",
        f"arn:aws:s3-object-lambda:{REGION}:{ACCOUNT}:accesspoint/x",
    )
    assert not allowed(runner, "s3:CreateMultiRegionAccessPoint", f"arn:aws:s3::{ACCOUNT}:accesspoint/x")
    assert not allowed(
        runner, "s3-object-lambda:GetObject", f"arn:aws:s3-object-lambda:{REGION}:{ACCOUNT}:accesspoint/x"
    )
    assert allowed(runner, "s3:GetAccessPoint", point)


@pytest.mark.parametrize("runner", list(ROLES))
def test_a_grant_of_everything_leaves_the_stack_s_functions_alone(runner: str) -> None:
    """CloudFormation names the stack's unnamed functions <stack name>-<logical id>-<random>."""
    function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{NAMES.prefix}-MigrationStart1A2B3C-xYz789"
    for action in ("lambda:InvokeFunction", "lambda:UpdateFunctionCode", "lambda:AddPermission"):
        assert not allowed(runner, action, function), action
        assert not allowed(runner, action, f"{function}:1"), action
    assert allowed(runner, "lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:reports")


@pytest.mark.parametrize("runner", list(ROLES))
def test_a_grant_of_everything_cannot_pass_the_stack_s_execution_or_function_roles(runner: str) -> None:
    """RunTask's overrides take any execution role the caller may pass: farflow's own are denied by ARN;
    the functions' roles (named <stack name>-<logical id>-<random>) are denied to every other service."""
    for role in (*own_roles(), Role.AIRFLOW_TASK):
        execution = role_arn(execution_role_name(NAMES, role.value))
        assert not allowed(runner, "iam:PassRole", execution, **PASSED), role
    function_role = role_arn(f"{NAMES.prefix}-SecretsFunctionRole1A2B3C-xYz789")
    for service in ("lambda.amazonaws.com", "states.amazonaws.com", "ec2.amazonaws.com"):
        assert not allowed(runner, "iam:PassRole", function_role, **{"iam:PassedToService": service})
    assert allowed(
        runner, "iam:PassRole", role_arn("data-job"), **{"iam:PassedToService": "glue.amazonaws.com"}
    )
