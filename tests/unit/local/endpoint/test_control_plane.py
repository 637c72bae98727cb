"""EC2, EventBridge, IAM and STS calls: the action and resource ARNs AWS authorizes (known answers)."""

from __future__ import annotations

from typing import Any

import pytest

from farflow.local.endpoint.control_plane import Authorized, authorizations

ACCOUNT, REGION = "123456789012", "eu-west-1"
EC2 = f"arn:aws:ec2:{REGION}:{ACCOUNT}"
EVENTS = f"arn:aws:events:{REGION}:{ACCOUNT}"


def of(service: str, operation: str, **params: Any) -> list[tuple[str, str]]:
    return [(a.action, a.resource) for a in authorizations(service, operation, params, ACCOUNT, REGION)]


@pytest.mark.parametrize(
    ("service", "operation", "params", "expected"),
    [
        # EC2: a create is on the new resource (no id yet) and the VPC it goes into; Describe* on "*".
        ("ec2", "CreateVpc", {"CidrBlock": "10.0.0.0/16"}, [f"{EC2}:vpc/*"]),
        ("ec2", "CreateSubnet", {"VpcId": "vpc-1"}, [f"{EC2}:subnet/*", f"{EC2}:vpc/vpc-1"]),
        ("ec2", "CreateSecurityGroup", {"VpcId": "vpc-1"}, [f"{EC2}:security-group/*", f"{EC2}:vpc/vpc-1"]),
        ("ec2", "ModifyVpcAttribute", {"VpcId": "vpc-1"}, [f"{EC2}:vpc/vpc-1"]),
        ("ec2", "AuthorizeSecurityGroupIngress", {"GroupId": "sg-2"}, [f"{EC2}:security-group/sg-2"]),
        ("ec2", "DeleteSubnet", {"SubnetId": "subnet-3"}, [f"{EC2}:subnet/subnet-3"]),
        (
            "ec2",
            "CreateTags",
            {"ResourceId.1": "vpc-1", "ResourceId.2": "sg-2"},
            [f"{EC2}:vpc/vpc-1", f"{EC2}:security-group/sg-2"],
        ),
        ("ec2", "CreateTags", {"ResourceId.1": "vpc-1", "ResourceId.2": "ami-4"}, ["*"]),
        ("ec2", "DescribeSubnets", {}, ["*"]),
        ("ec2", "DescribeSecurityGroups", {"GroupId.1": "sg-2"}, ["*"]),
        # EventBridge: rules on the default bus are rule/<name>, on another rule/<bus>/<name>.
        ("events", "PutRule", {"Name": "farflow-task-events"}, [f"{EVENTS}:rule/farflow-task-events"]),
        ("events", "PutTargets", {"Rule": "r", "Targets": []}, [f"{EVENTS}:rule/r"]),
        ("events", "DescribeRule", {"Name": "r", "EventBusName": "bus"}, [f"{EVENTS}:rule/bus/r"]),
        (
            "events",
            "RemoveTargets",
            {"Rule": "r", "EventBusName": f"{EVENTS}:event-bus/default"},
            [f"{EVENTS}:rule/r"],
        ),
        ("events", "PutEvents", {"Entries": [{"Source": "s"}]}, [f"{EVENTS}:event-bus/default"]),
        ("events", "DescribeEventBus", {}, [f"{EVENTS}:event-bus/default"]),
        ("events", "ListRules", {}, ["*"]),
        # IAM is global: no region in its ARNs.
        (
            "iam",
            "CreateRole",
            {"RoleName": "farflow-scheduler"},
            [f"arn:aws:iam::{ACCOUNT}:role/farflow-scheduler"],
        ),
        ("iam", "CreateRole", {"RoleName": "r", "Path": "/svc/"}, [f"arn:aws:iam::{ACCOUNT}:role/svc/r"]),
        ("iam", "GetRole", {"RoleName": "r"}, [f"arn:aws:iam::{ACCOUNT}:role/r"]),
        ("iam", "PutRolePolicy", {"RoleName": "r", "PolicyName": "p"}, [f"arn:aws:iam::{ACCOUNT}:role/r"]),
        ("iam", "CreatePolicy", {"PolicyName": "p"}, [f"arn:aws:iam::{ACCOUNT}:policy/p"]),
        (
            "iam",
            "GetPolicy",
            {"PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/p"},
            [f"arn:aws:iam::{ACCOUNT}:policy/p"],
        ),
        ("iam", "ListRoles", {}, ["*"]),
        (
            "sts",
            "AssumeRole",
            {"RoleArn": f"arn:aws:iam::{ACCOUNT}:role/r"},
            [f"arn:aws:iam::{ACCOUNT}:role/r"],
        ),
    ],
)
def test_action_and_resources(
    service: str, operation: str, params: dict[str, Any], expected: list[str]
) -> None:
    assert of(service, operation, **params) == [(f"{service}:{operation}", resource) for resource in expected]


def test_a_targets_role_is_passed_to_eventbridge() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/invoke"
    found = authorizations(
        "events",
        "PutTargets",
        {"Rule": "r", "Targets": [{"Id": "q", "Arn": "a"}, {"Id": "t", "Arn": "b", "RoleArn": role}]},
        ACCOUNT,
        REGION,
    )
    assert found[1:] == [Authorized("iam:PassRole", role, {"iam:PassedToService": "events.amazonaws.com"})]


def test_attaching_a_managed_policy_names_it_in_iam_policy_arn() -> None:
    policy = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    [found] = authorizations(
        "iam", "AttachRolePolicy", {"RoleName": "r", "PolicyArn": policy}, ACCOUNT, REGION
    )
    assert (found.resource, found.keys) == (f"arn:aws:iam::{ACCOUNT}:role/r", {"iam:PolicyARN": policy})


@pytest.mark.parametrize("service", ["ec2", "events", "iam", "sts"])
def test_every_operation_of_botocores_model_is_its_own_action(service: str) -> None:
    """Any call the endpoint can get is decided: as the action of its own name (the Service Authorization
    Reference's, for these services), on an ARN of the service's own (IAM's for STS's roles) or `*`."""
    from botocore.session import get_session

    prefix = {
        "ec2": "arn:aws:ec2:",
        "events": "arn:aws:events:",
        "iam": "arn:aws:iam:",
        "sts": "arn:aws:iam:",
    }
    for operation in get_session().get_service_model(service).operation_names:
        found = authorizations(service, operation, {}, ACCOUNT, REGION)
        assert found and {a.action for a in found} == {f"{service}:{operation}"}, operation
        assert all(a.resource == "*" or a.resource.startswith(prefix[service]) for a in found), operation
