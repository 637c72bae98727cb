"""Least privilege: every statement of the task roles, exactly; no managed *FullAccess; separate roles."""

from __future__ import annotations

import json
from typing import Any

from farflow.spec import (
    API_SERVER,
    DAG_PROCESSOR,
    SCHEDULER,
    TRIGGERER,
    WORKER,
    Names,
    dag_bundle,
    workload_store,
)
from farflow.spec.aws_actions import EXECUTOR_ACTIONS, TASK_ACTIONS, Scope
from farflow.spec.iam import WORKER_ACTIONS
from tests.support.deploy import REGION, Synthesized

NAMES = Names()
PREFIX = f"arn:<AWS::Partition>:ecs:{REGION}:<AWS::AccountId>"
TASKS = f"{PREFIX}:task/{NAMES.cluster}/*"
PASSED_TO_ECS = {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}


def flat(value: Any) -> Any:
    """CloudFormation intrinsics as readable text: <Ref>, <Resource.Attr>, joins concatenated."""
    if isinstance(value, list):
        return [flat(item) for item in value]
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return f"<{value['Ref']}>"
        if set(value) == {"Fn::GetAtt"}:
            return f"<{value['Fn::GetAtt'][0]}.{value['Fn::GetAtt'][1]}>"
        if set(value) == {"Fn::Join"}:
            separator, parts = value["Fn::Join"]
            return separator.join(str(flat(part)) for part in parts)
        if set(value) == {"Fn::Sub"}:
            return str(value["Fn::Sub"])
        return {key: flat(item) for key, item in value.items()}
    return value


def normal(statement: dict[str, Any]) -> dict[str, Any]:
    """A statement with its intrinsics flattened and its Action and Resource as lists."""
    entry = flat(statement)
    for key in ("Action", "Resource"):
        if isinstance(entry.get(key), str):
            entry[key] = [entry[key]]
    return dict(entry)


def statements_of(stack: Synthesized, role: str) -> list[dict[str, Any]]:
    """A role's Allow statements, without the metrics agent's PutMetricData (tests/unit/deploy/test_synth_daily.py);
    the guard's Denies are tests/unit/spec/test_guard.py's and tests/unit/deploy/test_policies_agree.py's."""
    return [
        normal(statement)
        for policy in stack.policies_of(role)
        for statement in policy["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow" and statement["Action"] != "cloudwatch:PutMetricData"
    ]


def store_names(stack: Synthesized) -> tuple[str, str]:
    """The workload store's bucket name and key ARN, flattened as `flat` renders them."""
    bucket = next(
        value
        for key, value in stack.of_type("AWS::S3::Bucket").items()
        if key.startswith("WorkloadStoreBucket")
    )
    key, _ = stack.one("AWS::KMS::Key")
    return str(flat(bucket["Properties"]["BucketName"])), f"<{key}.Arn>"


def events_queue_arn(stack: Synthesized) -> str:
    queue = next(key for key in stack.of_type("AWS::SQS::Queue") if key.startswith("TaskEventsQueue"))
    return f"<{queue}.Arn>"


def _cluster_arn(stack: Synthesized) -> str:
    cluster, _ = stack.one("AWS::ECS::Cluster")
    return f"<{cluster}.Arn>"


def _roles(stack: Synthesized, container: str) -> list[str]:
    return [f"<{stack.role_of(container)}.Arn>", f"<{stack.role_of(container, 'ExecutionRoleArn')}.Arn>"]


def _family(family: str) -> str:
    return f"{PREFIX}:task-definition/{family}:*"


def test_scheduler_gets_exactly_the_executor_actions_scoped(stack: Synthesized) -> None:
    cluster = _cluster_arn(stack)
    assert statements_of(stack, stack.role_of(SCHEDULER.name)) == [
        {
            "Action": ["ecs:RunTask"],
            "Condition": {"ArnEquals": {"ecs:cluster": cluster}},
            "Effect": "Allow",
            "Resource": [_family(NAMES.airflow_family)],
        },
        {"Action": ["ecs:DescribeTasks", "ecs:StopTask"], "Effect": "Allow", "Resource": [TASKS]},
        {"Action": ["ecs:DescribeClusters"], "Effect": "Allow", "Resource": [cluster]},
        {"Action": ["ecs:DescribeTaskDefinition", "ecs:ListTasks"], "Effect": "Allow", "Resource": ["*"]},
        {
            "Action": ["ecs:TagResource"],
            "Condition": {"StringEquals": {"ecs:CreateAction": "RunTask"}},
            "Effect": "Allow",
            "Resource": [TASKS],
        },
        {
            "Action": ["iam:PassRole"],
            "Condition": PASSED_TO_ECS,
            "Effect": "Allow",
            "Resource": _roles(stack, NAMES.airflow_container),
        },
        *[normal(s) for s in workload_store.scheduler_statements(*store_names(stack), REGION)],
        {
            "Action": [entry.action for entry in EXECUTOR_ACTIONS if entry.scope is Scope.EVENTS_QUEUE],
            "Effect": "Allow",
            "Resource": [events_queue_arn(stack)],
        },
    ]


def test_the_scheduler_reads_the_events_queue_without_kms(stack: Synthesized) -> None:
    statements = statements_of(stack, stack.role_of(SCHEDULER.name))
    on_queue = [s for s in statements if s["Resource"] == [events_queue_arn(stack)]]
    assert [action for s in on_queue for action in s["Action"]] == [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    ]
    # SSE-SQS: no customer managed key of the queue's to decrypt with.
    assert not any("kms:Decrypt" in s["Action"] for s in statements)


def _bundle_reads(stack: Synthesized) -> list[dict[str, Any]]:
    """The DAG bundle's read-only statements (tests/unit/deploy/test_synth_dag_bundle.py checks them)."""
    bucket = next(key for key in stack.of_type("AWS::S3::Bucket") if key.startswith("DagBundle"))
    return [normal(s) for s in dag_bundle.reader_statements(f"<{bucket}.Arn>")]


def _workloads(stack: Synthesized) -> list[dict[str, Any]]:
    bucket, key = store_names(stack)
    return [normal(s) for s in workload_store.task_role_statements(bucket, key, REGION, NAMES.airflow_family)]


def test_the_airflow_task_role_gets_exactly_the_task_actions_on_its_family_folder(stack: Synthesized) -> None:
    workloads = _workloads(stack)
    assert {action for s in workloads for action in s["Action"]} == {entry.action for entry in TASK_ACTIONS}
    bucket, _ = store_names(stack)
    assert workloads[0]["Resource"] == [f"arn:aws:s3:::{bucket}/workloads/{NAMES.airflow_family}/*"]
    reads = _bundle_reads(stack)
    statements = statements_of(stack, stack.role_of(NAMES.airflow_container))
    assert statements[: len(workloads)] == workloads
    assert statements[-len(reads) :] == reads


def test_only_the_airflow_task_role_reads_workloads(stack: Synthesized) -> None:
    bucket, _ = store_names(stack)
    for policy in stack.of_type("AWS::IAM::Policy").values():
        # The guard's Denies name the store too (tests/unit/spec/test_guard.py).
        allows = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
        document = json.dumps(allows)
        reads_store = "s3:GetObject" in document and bucket in json.dumps(flat(allows))
        if reads_store or "kms:Decrypt" in document:
            assert policy["Properties"]["Roles"] == [{"Ref": stack.role_of(NAMES.airflow_container)}]


def test_every_declared_executor_action_is_granted(stack: Synthesized) -> None:
    granted = {action for s in statements_of(stack, stack.role_of(SCHEDULER.name)) for action in s["Action"]}
    assert granted == {entry.action for entry in EXECUTOR_ACTIONS}


def _operator(stack: Synthesized) -> list[dict[str, Any]]:
    tasks_group, _ = next(
        (key, value)
        for key, value in stack.of_type("AWS::Logs::LogGroup").items()
        if value["Properties"].get("LogGroupName") == NAMES.task_log_group
    )
    return [
        {
            "Action": ["ecs:RunTask"],
            "Condition": {"ArnEquals": {"ecs:cluster": _cluster_arn(stack)}},
            "Effect": "Allow",
            "Resource": [
                _family(NAMES.folder_family("multi_task")),
                _family(NAMES.folder_family("number_task")),
            ],
        },
        {"Action": ["ecs:DescribeTasks", "ecs:StopTask"], "Effect": "Allow", "Resource": [TASKS]},
        {
            "Action": ["iam:PassRole"],
            "Condition": PASSED_TO_ECS,
            "Effect": "Allow",
            "Resource": [*_roles(stack, "multi_task"), *_roles(stack, "number_task")],
        },
        {"Action": ["logs:GetLogEvents"], "Effect": "Allow", "Resource": [f"<{tasks_group}.Arn>"]},
    ]


def _remote_writes(stack: Synthesized) -> list[dict[str, Any]]:
    remote = next(
        key
        for key, value in stack.of_type("AWS::Logs::LogGroup").items()
        if value["Properties"].get("LogGroupName") == NAMES.remote_log_group
    )
    return [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": [f"<{remote}.Arn>"],
        },
        {
            "Action": ["logs:DescribeLogGroups"],
            "Effect": "Allow",
            "Resource": [f"arn:<AWS::Partition>:logs:{REGION}:<AWS::AccountId>:log-group:*"],
        },
    ]


def test_airflow_tasks_and_workers_run_only_the_folder_task_definitions(stack: Synthesized) -> None:
    expected = [*_operator(stack), *_remote_writes(stack)]
    reads = _bundle_reads(stack)
    assert statements_of(stack, stack.role_of(WORKER.name)) == [_task_protection(), *expected, *reads]
    assert statements_of(stack, stack.role_of(NAMES.airflow_container)) == [
        *_workloads(stack),
        *expected,
        *reads,
    ]


def _trigger(stack: Synthesized) -> list[dict[str, Any]]:
    """The deferred EcsRunTaskOperator's TaskDoneTrigger: the tasks_stopped waiter and the log stream."""
    tasks_group = next(
        key
        for key, value in stack.of_type("AWS::Logs::LogGroup").items()
        if value["Properties"].get("LogGroupName") == NAMES.task_log_group
    )
    return [
        {"Action": ["ecs:DescribeTasks"], "Effect": "Allow", "Resource": [TASKS]},
        {"Action": ["logs:GetLogEvents"], "Effect": "Allow", "Resource": [f"<{tasks_group}.Arn>"]},
    ]


def test_the_triggerer_follows_deferred_ecs_tasks_and_their_logs(stack: Synthesized) -> None:
    assert statements_of(stack, stack.role_of(TRIGGERER.name)) == [*_trigger(stack), *_remote_writes(stack)]


def test_remote_task_logs_written_by_task_runners_read_by_the_api_server(stack: Synthesized) -> None:
    remote = _remote_writes(stack)[0]["Resource"]
    assert statements_of(stack, stack.role_of(API_SERVER.name)) == [
        {"Action": ["logs:GetLogEvents"], "Effect": "Allow", "Resource": remote}
    ]
    assert statements_of(stack, stack.role_of(DAG_PROCESSOR.name)) == _bundle_reads(stack)


def test_run_task_only_where_declared(stack: Synthesized) -> None:
    holders = set()
    for policy in stack.of_type("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "ecs:RunTask" in json.dumps(statement.get("Action", [])):
                assert statement["Condition"]["ArnEquals"]["ecs:cluster"] == {
                    "Fn::GetAtt": [_cluster_arn(stack)[1:-5], "Arn"]
                }
                holders.update(role["Ref"] for role in policy["Properties"]["Roles"])
    migration_start = next(
        key for key in stack.of_type("AWS::IAM::Role") if key.startswith("MigrationStartRole")
    )
    assert holders == {
        stack.role_of(SCHEDULER.name),
        stack.role_of(NAMES.airflow_container),
        stack.role_of(WORKER.name),
        migration_start,
    }


def test_pass_role_always_names_roles_and_ecs_tasks(stack: Synthesized) -> None:
    for policy in stack.of_type("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Allow" and "iam:PassRole" in json.dumps(statement["Action"]):
                assert statement["Condition"] == PASSED_TO_ECS
                assert "*" not in json.dumps(statement["Resource"])


def test_no_managed_policies_at_all(stack: Synthesized) -> None:
    for role in stack.of_type("AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]
    assert "FullAccess" not in json.dumps(stack.template)


def test_task_roles_are_not_execution_roles(stack: Synthesized) -> None:
    for task_definition in stack.of_type("AWS::ECS::TaskDefinition").values():
        properties = task_definition["Properties"]
        assert properties["TaskRoleArn"] != properties["ExecutionRoleArn"]


def test_execution_roles_only_pull_images_log_and_read_secrets(stack: Synthesized) -> None:
    allowed = {
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage",
        "ecr:GetAuthorizationToken",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
    }
    for task_definition in stack.of_type("AWS::ECS::TaskDefinition").values():
        role = task_definition["Properties"]["ExecutionRoleArn"]["Fn::GetAtt"][0]
        actions = {a for s in statements_of(stack, role) for a in s["Action"]}
        assert actions <= allowed, actions - allowed


def _task_protection() -> dict[str, Any]:
    return {
        "Action": [entry.action for entry in WORKER_ACTIONS],
        "Effect": "Allow",
        "Resource": [TASKS],
    }


def test_only_workers_may_set_task_protection(stack: Synthesized) -> None:
    holders = {
        role
        for role in {stack.role_of(name) for name in stack.containers()}
        if any("ecs:UpdateTaskProtection" in statement["Action"] for statement in statements_of(stack, role))
    }
    assert holders == {stack.role_of(WORKER.name)}
    assert [entry.action for entry in WORKER_ACTIONS] == ["ecs:UpdateTaskProtection", "ecs:GetTaskProtection"]
