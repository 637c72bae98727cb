"""The authorizations AWS makes for each call: actions, resource ARNs and condition keys."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence

from farflow.local.endpoint.access import call_of
from farflow.local.endpoint.request_context import Call, checks

ACCOUNT, REGION = "123456789012", "eu-west-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/farflow-scheduler"
DEFINITION = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/farflow-airflow:3"
TASK_ROLES = (f"arn:aws:iam::{ACCOUNT}:role/task", f"arn:aws:iam::{ACCOUNT}:role/execution")
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:farflow/db-AbCdEf"


class Lookup:
    def task_definition(self, name: str) -> tuple[str, Sequence[str]] | None:
        return (DEFINITION, TASK_ROLES) if name.startswith("farflow-airflow") else None

    def bucket_key(self, bucket: str) -> str | None:
        return KEY if bucket == "store" else None

    def key_arn(self, key_id: str) -> str | None:
        return KEY if key_id in {"k", KEY} else None

    def secret_arn(self, secret_id: str) -> str | None:
        return SECRET if secret_id in {"farflow/db", SECRET} else None


def json_call(service: str, operation: str, params: dict[str, object]) -> Call:
    return Call(service, operation, "http://127.0.0.1:1/", {}, json.dumps(params).encode())


def test_run_task_is_the_definition_in_the_cluster_its_roles_passed_and_its_tags() -> None:
    call = json_call(
        "ecs", "RunTask", {"cluster": "farflow", "taskDefinition": "farflow-airflow", "tags": [{}]}
    )
    run, *passes, tag = [checked.request for checked in checks(call, ROLE, ACCOUNT, REGION, Lookup())]
    assert (run.action, run.resource) == ("ecs:RunTask", DEFINITION)
    assert run.keys["ecs:cluster"] == f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/farflow"
    assert [(p.action, p.resource, p.keys["iam:PassedToService"]) for p in passes] == [
        ("iam:PassRole", role, "ecs-tasks.amazonaws.com") for role in TASK_ROLES
    ]
    assert (tag.action, tag.keys["ecs:CreateAction"]) == ("ecs:TagResource", "RunTask")
    assert tag.resource.startswith(f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/farflow/")


def test_describe_tasks_is_each_task_of_the_cluster() -> None:
    call = json_call(
        "ecs",
        "DescribeTasks",
        {"cluster": "farflow", "tasks": ["a", f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/farflow/b"]},
    )
    assert [c.request.resource for c in checks(call, ROLE, ACCOUNT, REGION, Lookup())] == [
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/farflow/a",
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/farflow/b",
    ]


def test_a_put_into_an_sse_kms_bucket_also_needs_the_key_through_s3() -> None:
    call = Call("s3", "PutObject", "http://127.0.0.1:1/store/workloads/a.json", {}, b"{}")
    put, kms = checks(call, ROLE, ACCOUNT, REGION, Lookup())
    assert (put.request.action, put.request.resource, put.resource_policy) == (
        "s3:PutObject",
        "arn:aws:s3:::store/workloads/a.json",
        ("s3", "store"),
    )
    assert put.request.keys["aws:SecureTransport"] == "true"  # the endpoint stands for S3's HTTPS one
    assert (kms.request.action, kms.request.resource, kms.resource_policy) == (
        "kms:GenerateDataKey",
        KEY,
        ("kms", KEY),
    )
    assert kms.request.keys["kms:ViaService"] == f"s3.{REGION}.amazonaws.com"
    assert kms.request.keys["kms:EncryptionContext:aws:s3:arn"] == "arn:aws:s3:::store/workloads/a.json"


def test_a_read_decrypts_and_a_delete_needs_no_key() -> None:
    get = Call("s3", "GetObject", "http://127.0.0.1:1/store/workloads/a.json", {})
    delete = Call("s3", "DeleteObject", "http://127.0.0.1:1/store/workloads/a.json", {})
    assert [c.request.action for c in checks(get, ROLE, ACCOUNT, REGION, Lookup())] == [
        "s3:GetObject",
        "kms:Decrypt",
    ]
    assert [c.request.action for c in checks(delete, ROLE, ACCOUNT, REGION, Lookup())] == ["s3:DeleteObject"]


def test_queue_key_and_log_calls_name_their_resource() -> None:
    sqs = json_call("sqs", "DeleteMessageBatch", {"QueueUrl": "http://127.0.0.1:1/123456789012/events"})
    [deleted] = checks(sqs, ROLE, ACCOUNT, REGION, Lookup())
    assert (deleted.request.action, deleted.request.resource) == (
        "sqs:DeleteMessage",
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:events",
    )
    [described] = checks(json_call("kms", "DescribeKey", {"KeyId": "k"}), ROLE, ACCOUNT, REGION, Lookup())
    assert described.request.resource == KEY
    put = json_call("logs", "PutLogEvents", {"logGroupName": "/g", "logStreamName": "s"})
    [written] = checks(put, ROLE, ACCOUNT, REGION, Lookup())
    assert written.request.resource == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/g:log-stream:s"


def test_a_query_protocol_call_is_read_from_its_form_body() -> None:
    body = b"Action=CreateSubnet&Version=2016-11-15&VpcId=vpc-1&CidrBlock=10.0.1.0%2F24"
    created, in_vpc = checks(
        Call("ec2", "CreateSubnet", "http://127.0.0.1:1/", {}, body), ROLE, ACCOUNT, REGION, Lookup()
    )
    assert (created.request.action, created.request.resource) == (
        "ec2:CreateSubnet",
        f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/*",
    )
    assert in_vpc.request.resource == f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-1"
    assert in_vpc.request.keys["aws:PrincipalArn"] == ROLE


def test_the_endpoint_names_a_form_calls_operation_from_its_body() -> None:
    body = b"Action=PutRolePolicy&Version=2010-05-08&RoleName=r&PolicyName=p"
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/iam/aws4_request, "
        "SignedHeaders=host, Signature=x",
    }
    call = call_of(environ)
    assert (call.service, call.operation) == ("iam", "PutRolePolicy")
    assert environ["wsgi.input"].read() == body  # put back for moto
    [put] = checks(call, ROLE, ACCOUNT, REGION, Lookup())
    assert (put.request.action, put.request.resource) == (
        "iam:PutRolePolicy",
        f"arn:aws:iam::{ACCOUNT}:role/r",
    )


def test_every_sqs_operation_is_an_sqs_action_of_the_reference() -> None:
    """botocore's SQS operations: each is its own action but the batches, which are the single call's."""
    from botocore.session import get_session

    operations = get_session().get_service_model("sqs").operation_names
    actions = {
        operation: checks(
            json_call("sqs", operation, {"QueueUrl": "http://h/1/q"}), ROLE, ACCOUNT, REGION, Lookup()
        )[0].request.action
        for operation in operations
    }
    batches = {operation: action for operation, action in actions.items() if operation.endswith("Batch")}
    assert batches == {
        "DeleteMessageBatch": "sqs:DeleteMessage",
        "SendMessageBatch": "sqs:SendMessage",
        "ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
    }
    assert all(actions[op] == f"sqs:{op}" for op in operations if op not in batches)


def test_a_secret_is_read_on_its_arn_with_the_suffix_secrets_manager_added() -> None:
    [read] = checks(
        json_call("secretsmanager", "GetSecretValue", {"SecretId": "farflow/db"}),
        ROLE,
        ACCOUNT,
        REGION,
        Lookup(),
    )
    assert (read.request.action, read.request.resource) == ("secretsmanager:GetSecretValue", SECRET)
    [listed] = checks(json_call("secretsmanager", "ListSecrets", {}), ROLE, ACCOUNT, REGION, Lookup())
    assert listed.request.resource == "*"
