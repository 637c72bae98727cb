"""The endpoint's call log: which client called which operation, and what the executor did not declare."""

from __future__ import annotations

from typing import Any

import pytest

from farflow.local.endpoint.calls import (
    FARFLOW_CLIENT,
    OTHER_CLIENT,
    CallLog,
    client_kind,
    operation_name,
)
from tests.support.aws_calls import called_operations, undeclared

# What botocore 1.44 sends with user_agent_extra="farflow" (the executor's client), and without.
FARFLOW_UA = (
    "Boto3/1.44.5 md/Botocore#1.44.5 ua/2.1 os/linux#6.18 md/arch#x86_64 lang/python#3.11.7 "
    "md/pyimpl#CPython m/e,E,Z,b cfg/retry-mode#standard Botocore/1.44.5 farflow"
)
OPERATOR_UA = "Boto3/1.44.5 md/Botocore#1.44.5 ua/2.1 lang/python#3.11.7 Botocore/1.44.5 Airflow/3.3.2"


def ecs(operation: str, user_agent: str) -> dict[str, Any]:
    return {
        "HTTP_X_AMZ_TARGET": f"AmazonEC2ContainerServiceV20141113.{operation}",
        "HTTP_USER_AGENT": user_agent,
    }


@pytest.mark.parametrize(
    ("user_agent", "kind"),
    [
        (FARFLOW_UA, FARFLOW_CLIENT),
        ("Botocore/1.44.5 farflow/0.1", FARFLOW_CLIENT),
        (OPERATOR_UA, OTHER_CLIENT),
        ("Botocore/1.44.5 Caller/farflow_dag", OTHER_CLIENT),
        ("", OTHER_CLIENT),
    ],
)
def test_client_kind_reads_farflows_token(user_agent: str, kind: str) -> None:
    assert client_kind(user_agent) == kind


def test_operations_are_named_as_aws_actions_names_them() -> None:
    assert operation_name(ecs("RunTask", "")) == "RunTask"
    assert operation_name({"HTTP_X_AMZ_TARGET": "Logs_20140328.GetLogEvents"}) == "GetLogEvents"
    assert operation_name({"QUERY_STRING": "Action=DescribeSubnets&Version=2016-11-15"}) == "DescribeSubnets"
    unnamed = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ec2/aws4_request, "
        "SignedHeaders=host, Signature=x",
    }
    assert operation_name(unnamed) == "ec2 POST /"


def s3(method: str, path: str, query: str = "") -> dict[str, Any]:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, "
        "SignedHeaders=host, Signature=x",
    }


@pytest.mark.parametrize(
    ("environ", "name"),
    [
        (s3("PUT", "/bucket/workloads/f/t.json"), "PutObject"),
        (s3("GET", "/bucket/workloads/f/t.json"), "GetObject"),
        (s3("DELETE", "/bucket/workloads/f/t.json"), "DeleteObject"),
        (s3("PUT", "/bucket"), "CreateBucket"),
        (s3("PUT", "/bucket", "encryption"), "PutBucketEncryption"),
        (s3("GET", "/bucket", "list-type=2&prefix=workloads%2F"), "ListObjectsV2"),
        # The first ListObjects, which boto3's resource collections (the S3 DAG bundle's sync) call.
        (s3("GET", "/bucket", "prefix=&encoding-type=url"), "ListObjects"),
        (s3("GET", "/bucket"), "ListObjects"),
        # Subresources are operations of their own, as botocore's S3 model routes them.
        (s3("PUT", "/bucket/workloads/f/t.json", "tagging"), "PutObjectTagging"),
        (s3("GET", "/bucket", "acl"), "GetBucketAcl"),
        (s3("PUT", "/bucket/k", "partNumber=1&uploadId=u"), "UploadPart"),
        ({**s3("PUT", "/bucket/k"), "HTTP_X_AMZ_COPY_SOURCE": "src/k"}, "CopyObject"),
        (s3("GET", "/"), "ListBuckets"),
        ({"HTTP_X_AMZ_TARGET": "TrentService.DescribeKey"}, "DescribeKey"),
    ],
)
def test_s3_and_kms_calls_are_named_as_aws_actions_names_them(environ: dict[str, Any], name: str) -> None:
    assert operation_name(environ) == name


def test_the_executors_store_calls_are_declared() -> None:
    assert {"PutObject", "DeleteObject", "DescribeKey"} <= called_operations()
    assert "GetObject" not in called_operations()  # only task roles read workloads


def test_the_log_counts_ecs_for_everyone_and_every_service_per_client() -> None:
    log = CallLog()
    for environ in (
        ecs("RunTask", FARFLOW_UA),
        ecs("RunTask", OPERATOR_UA),
        ecs("DescribeTasks", FARFLOW_UA),
        {"HTTP_X_AMZ_TARGET": "Logs_20140328.GetLogEvents", "HTTP_USER_AGENT": OPERATOR_UA},
    ):
        log.record(environ)
    assert log.ecs() == {"RunTask": 2, "DescribeTasks": 1}
    assert log.by_client() == {
        FARFLOW_CLIENT: {"RunTask": 1, "DescribeTasks": 1},
        OTHER_CLIENT: {"RunTask": 1, "GetLogEvents": 1},
    }


def test_an_undeclared_executor_call_is_reported() -> None:
    log = CallLog()
    log.record(ecs("RunTask", FARFLOW_UA))
    log.record(ecs("ListClusters", FARFLOW_UA))
    log.record(ecs("RegisterTaskDefinition", OPERATOR_UA))  # not the executor's
    assert undeclared(log.by_client()[FARFLOW_CLIENT], called_operations()) == ["ListClusters"]


def test_declared_calls_pass() -> None:
    assert undeclared({"RunTask": 3, "DescribeTasks": 9, "StopTask": 1}, called_operations()) == []
