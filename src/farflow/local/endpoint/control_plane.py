"""The IAM action and resource ARNs of EC2, EventBridge, IAM and STS calls (pure).

Each API operation of these services is authorised as the action of its own name (`ec2:CreateSubnet`,
`events:PutTargets`, `iam:PutRolePolicy`); what differs between them is the resource. What is relied on
(Service Authorization Reference, https://docs.aws.amazon.com/service-authorization/latest/reference/):
- "Actions, resources, and condition keys for Amazon EC2" (list_amazonec2.html): resources are
  `arn:aws:ec2:<region>:<account>:<type>/<id>`; a create is authorised on the new resource (`vpc/*`: its
  id does not exist yet) and on the VPC it goes into; Describe* actions have no resource-level
  permissions (`*`). EC2 operations not named in `_EC2` are on `*`.
- "... for Amazon EventBridge" (list_amazoneventbridge.html): a rule is
  `arn:aws:events:<region>:<account>:rule/<name>` on the default bus, `rule/<bus>/<name>` on another;
  PutTargets, RemoveTargets and ListTargetsByRule are on the rule, PutEvents on each entry's bus
  (`event-bus/<name>`); a target's RoleArn is passed to EventBridge (`iam:PassRole`,
  `iam:PassedToService` events.amazonaws.com).
- "... for AWS Identity and Access Management" (list_awsidentityandaccessmanagementiam.html): IAM is
  global, `arn:aws:iam::<account>:role/<path><name>` (path `/` unless CreateRole gives one), `policy/`,
  `user/`, `instance-profile/`; Attach/DetachRolePolicy carry `iam:PolicyARN`; List* of a whole kind
  (ListRoles, ListPolicies) are on `*`.
- "... for AWS Security Token Service" (list_awssecuritytokenservice.html): AssumeRole is on the role.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Params = Mapping[str, Any]


@dataclass(frozen=True)
class Authorized:
    """One authorization: an action on a resource, with the keys the call adds."""

    action: str
    resource: str
    keys: Mapping[str, str] = field(default_factory=dict)


def authorizations(
    service: str, operation: str, params: Params, account: str, region: str
) -> list[Authorized]:
    """What AWS authorises for one EC2, EventBridge, IAM or STS call."""
    action = f"{service}:{operation}"
    builder = _BUILDERS.get(service)
    resources = builder(operation, params, account, region) if builder else ["*"]
    found = [Authorized(action, resource, _keys(service, operation, params)) for resource in resources]
    if service == "events" and operation == "PutTargets":
        found += [
            Authorized(
                "iam:PassRole", str(target["RoleArn"]), {"iam:PassedToService": "events.amazonaws.com"}
            )
            for target in params.get("Targets") or ()
            if isinstance(target, Mapping) and target.get("RoleArn")
        ]
    return found


def _keys(service: str, operation: str, params: Params) -> dict[str, str]:
    if service == "iam" and operation in {"AttachRolePolicy", "DetachRolePolicy"} and params.get("PolicyArn"):
        return {"iam:PolicyARN": str(params["PolicyArn"])}
    return {}


# EC2 ids name their type by prefix.
_EC2_TYPES = {
    "vpc": "vpc",
    "subnet": "subnet",
    "sg": "security-group",
    "i": "instance",
    "eni": "network-interface",
}
# Operation -> (the type it creates or None, parameters naming the resources it acts on, by type).
_EC2: Mapping[str, tuple[str | None, Mapping[str, str]]] = {
    "CreateVpc": ("vpc", {}),
    "CreateSubnet": ("subnet", {"VpcId": "vpc"}),
    "CreateSecurityGroup": ("security-group", {"VpcId": "vpc"}),
    "ModifyVpcAttribute": (None, {"VpcId": "vpc"}),
    "DeleteVpc": (None, {"VpcId": "vpc"}),
    "DeleteSubnet": (None, {"SubnetId": "subnet"}),
    "ModifySubnetAttribute": (None, {"SubnetId": "subnet"}),
    "DeleteSecurityGroup": (None, {"GroupId": "security-group"}),
    "AuthorizeSecurityGroupIngress": (None, {"GroupId": "security-group"}),
    "AuthorizeSecurityGroupEgress": (None, {"GroupId": "security-group"}),
    "RevokeSecurityGroupIngress": (None, {"GroupId": "security-group"}),
    "RevokeSecurityGroupEgress": (None, {"GroupId": "security-group"}),
}


def _ec2(operation: str, params: Params, account: str, region: str) -> list[str]:
    def arn(kind: str, name: str) -> str:
        return f"arn:aws:ec2:{region}:{account}:{kind}/{name}"

    if operation in {"CreateTags", "DeleteTags"}:
        ids = [str(value) for key, value in params.items() if key.startswith("ResourceId.")]
        kinds = [_EC2_TYPES.get(one.split("-", 1)[0]) for one in ids]
        # A type not named here: the whole call is judged on "*" rather than on a made-up ARN.
        return (
            ["*"]
            if not ids or None in kinds
            else [arn(str(kind), one) for kind, one in zip(kinds, ids, strict=True)]
        )
    if operation not in _EC2:
        return ["*"]
    created, named = _EC2[operation]
    resources = [arn(created, "*")] if created else []
    resources += [arn(kind, str(params[name])) for name, kind in named.items() if params.get(name)]
    return resources or ["*"]


_RULE_OPERATIONS = {
    "PutRule": "Name",
    "DeleteRule": "Name",
    "DescribeRule": "Name",
    "EnableRule": "Name",
    "DisableRule": "Name",
    "PutTargets": "Rule",
    "RemoveTargets": "Rule",
    "ListTargetsByRule": "Rule",
}
_BUS_OPERATIONS = {"CreateEventBus", "DeleteEventBus", "DescribeEventBus", "UpdateEventBus"}


def _bus_name(value: object) -> str:
    name = str(value or "default")
    return name.rsplit("/", 1)[-1] if name.startswith("arn:") else name


def _events(operation: str, params: Params, account: str, region: str) -> list[str]:
    def arn(resource: str) -> str:
        return f"arn:aws:events:{region}:{account}:{resource}"

    if operation in _RULE_OPERATIONS:
        bus = _bus_name(params.get("EventBusName"))
        rule = str(params.get(_RULE_OPERATIONS[operation], ""))
        return [arn(f"rule/{rule}" if bus == "default" else f"rule/{bus}/{rule}")]
    if operation in _BUS_OPERATIONS:
        return [arn(f"event-bus/{_bus_name(params.get('Name'))}")]
    if operation == "PutEvents":
        buses = {_bus_name(entry.get("EventBusName")) for entry in params.get("Entries") or () if entry}
        return [arn(f"event-bus/{bus}") for bus in sorted(buses)] or [arn("event-bus/default")]
    if operation in {"TagResource", "UntagResource", "ListTagsForResource"} and params.get("ResourceARN"):
        return [str(params["ResourceARN"])]
    return ["*"]


# Parameter naming the IAM resource an operation acts on -> its ARN's resource type.
_IAM_NAMES = {
    "RoleName": "role",
    "UserName": "user",
    "InstanceProfileName": "instance-profile",
    "GroupName": "group",
}


def _iam(operation: str, params: Params, account: str, region: str) -> list[str]:
    if operation == "CreatePolicy":
        return [f"arn:aws:iam::{account}:policy{params.get('Path') or '/'}{params.get('PolicyName', '')}"]
    for name, kind in _IAM_NAMES.items():
        if params.get(name):
            path = (params.get("Path") or "/") if operation.startswith("Create") else "/"
            return [f"arn:aws:iam::{account}:{kind}{path}{params[name]}"]
    if params.get("PolicyArn"):
        return [str(params["PolicyArn"])]
    return ["*"]


def _sts(operation: str, params: Params, account: str, region: str) -> list[str]:
    return [str(params["RoleArn"])] if params.get("RoleArn") else ["*"]


_BUILDERS: Mapping[str, Callable[[str, Params, str, str], list[str]]] = {
    "ec2": _ec2,
    "events": _events,
    "iam": _iam,
    "sts": _sts,
}
