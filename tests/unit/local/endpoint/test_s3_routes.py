"""Every S3 operation botocore can send is named as itself: each is serialized by botocore, then routed."""

from __future__ import annotations

import datetime
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.model import Shape

from farflow.local.endpoint.s3_routes import UNROUTED, routes, s3_operation
from farflow.policy.s3 import ACTIONS, NOT_MODELLED

CLIENT = boto3.client(
    "s3",
    region_name="eu-west-1",
    endpoint_url="http://127.0.0.1:1",
    aws_access_key_id="k",
    aws_secret_access_key="s",
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
)
MODEL = CLIENT.meta.service_model
# Deprecated operations that send the same request as their successor, which is what they are named.
METHODS = {api: method for method, api in CLIENT.meta.method_to_api_mapping.items()}
ALIASES = {
    "GetBucketLifecycle": "GetBucketLifecycleConfiguration",
    "PutBucketLifecycle": "PutBucketLifecycleConfiguration",
    "GetBucketNotification": "GetBucketNotificationConfiguration",
    "PutBucketNotification": "PutBucketNotificationConfiguration",
}


def sample(shape: Shape, name: str = "") -> Any:
    """The smallest value of a shape botocore accepts (required members only)."""
    if shape.type_name == "structure":
        members = shape.required_members or (list(shape.members)[:1] if shape.is_tagged_union else [])
        return {member: sample(shape.members[member], member) for member in members}
    if shape.type_name == "list":
        return [sample(shape.member)]
    if shape.type_name in {"integer", "long"}:
        return 1
    if shape.type_name == "boolean":
        return True
    if shape.type_name == "timestamp":
        return datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    if shape.type_name == "blob":
        return b"x"
    if name == "CopySource":
        return "source/key"
    enum = shape.enum
    return enum[0] if enum else "x" * max(1, int(shape.metadata.get("min", 1)))


def sent(operation: str) -> tuple[str, str, str, set[str]]:
    """(method, path, query, header names) of the request botocore sends for `operation`."""
    captured: dict[str, Any] = {}

    def capture(request: Any, **_: Any) -> AWSResponse:
        captured["request"] = request
        return AWSResponse(request.url, 200, {}, None)

    shape = MODEL.operation_model(operation).input_shape
    params = sample(shape) if shape is not None else {}
    CLIENT.meta.events.register_first("before-send.s3", capture)
    try:
        getattr(CLIENT, METHODS[operation])(**params)
    except Exception:  # the empty 200 does not parse for every operation; the request was captured
        pass
    finally:
        CLIENT.meta.events.unregister("before-send.s3", capture)
    request = captured["request"]
    url = request.url.split("://", 1)[1]
    path_and_query = url.split("/", 1)[1] if "/" in url else ""
    path, _, query = path_and_query.partition("?")
    return request.method, "/" + path, query, {name.lower() for name in request.headers}


ROUTABLE = sorted(set(MODEL.operation_names) - set(UNROUTED))


@pytest.mark.parametrize("operation", ROUTABLE)
def test_botocores_request_is_named_as_its_operation(operation: str) -> None:
    method, path, query, headers = sent(operation)
    assert s3_operation(method, path, query, headers) == ALIASES.get(operation, operation)


@pytest.mark.parametrize("operation", ROUTABLE)
def test_every_routable_operation_has_its_iam_action_or_is_listed_as_not_modelled(operation: str) -> None:
    assert (operation in ACTIONS) != (operation in NOT_MODELLED)


def test_routes_cover_the_model_and_the_exclusions_exist() -> None:
    assert {route.operation for route in routes()} == set(ROUTABLE)
    assert set(UNROUTED) <= set(MODEL.operation_names)
    assert NOT_MODELLED.issubset(MODEL.operation_names)
