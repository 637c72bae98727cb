"""What AWS authorizes for one request the endpoint gets: the actions, the resource ARNs, the keys.

Pure apart from `Lookup`, which resolves names the request leaves implicit (a task definition's latest
revision and roles, a bucket's default key) from the endpoint's state. What is relied on ("Actions,
resources, and condition keys" pages of the Service Authorization Reference for Amazon ECS, Amazon S3,
Amazon SQS, AWS KMS, AWS Secrets Manager and Amazon CloudWatch Logs, https://docs.aws.amazon.com/service-authorization/
latest/reference/):
- ECS RunTask is authorized on the task definition ARN with `ecs:cluster`; the roles it hands the task
  need `iam:PassRole` with `iam:PassedToService`; tags set by it need `ecs:TagResource` with
  `ecs:CreateAction` ("Grant permission to tag resources on creation", Amazon ECS Developer Guide).
  DescribeTasks, StopTask and the task protection calls on each task's ARN.
- S3 (farflow.policy.s3): SSE-KMS writes and reads also need kms:GenerateDataKey and kms:Decrypt on the
  bucket's key, with `kms:ViaService` and the object's ARN as `kms:EncryptionContext:aws:s3:arn`
  ("Protecting data with server-side encryption using AWS KMS keys", Amazon S3 User Guide).
- SQS calls on the queue's ARN; KMS calls on the key's ARN; Logs calls on the log group
  (`log-group:<name>:*`) or the stream (`log-group:<name>:log-stream:<stream>`).
- Secrets Manager calls on the secret's ARN (`secret:<name>-<6 characters>`), ListSecrets on `*`.
- EC2, EventBridge, IAM and STS calls as `control_plane` names them (their pages are cited there).
The local endpoint stands for AWS's HTTPS endpoints: `aws:SecureTransport` is true.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from farflow.local.endpoint.control_plane import authorizations
from farflow.policy import Request
from farflow.policy.s3 import s3_requests

ECS_TASKS = "ecs-tasks.amazonaws.com"
# SQS's batch calls are authorised as the single call's action ("Actions, resources, and condition keys
# for Amazon SQS": there is no sqs:DeleteMessageBatch action).
SQS_BATCHES = {
    "DeleteMessageBatch": "sqs:DeleteMessage",
    "SendMessageBatch": "sqs:SendMessage",
    "ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}
# Services whose calls are a form (`Action=CreateVpc&VpcId=...`) rather than JSON.
QUERY_PROTOCOL = frozenset({"ec2", "iam", "sts"})


def form_params(body: bytes) -> dict[str, Any]:
    """A query protocol's form body as flat parameters (`Action`, `VpcId`, `ResourceId.1`, ...)."""
    try:
        parsed = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
    except UnicodeDecodeError:
        return {}
    return {name: values[0] for name, values in parsed.items()}


class Lookup(Protocol):
    """The endpoint's state, for what a request names only implicitly."""

    def task_definition(self, name: str) -> tuple[str, Sequence[str]] | None:
        """(ARN, [task role, execution role]) of a task definition given as ARN, family or family:rev."""

    def bucket_key(self, bucket: str) -> str | None:
        """The KMS key ARN a bucket encrypts with by default (None: no SSE-KMS)."""

    def key_arn(self, key_id: str) -> str | None:
        """A KMS key's ARN from its id, ARN or alias."""

    def secret_arn(self, secret_id: str) -> str | None:
        """A secret's ARN (with the suffix Secrets Manager adds to its name) from its name or ARN."""


@dataclass(frozen=True)
class Call:
    """One request as received: its service, operation, headers and body."""

    service: str
    operation: str
    url: str
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(default=b"", repr=False)

    def params(self) -> dict[str, Any]:
        """The call's parameters: a JSON protocol's body, or a query protocol's form (EC2, IAM, STS)."""
        if self.service in QUERY_PROTOCOL:
            return form_params(self.body)
        try:
            loaded = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return loaded if isinstance(loaded, dict) else {}


@dataclass(frozen=True)
class Checked:
    """One authorization AWS makes for a call, and which resource policy applies to it."""

    request: Request
    resource_policy: tuple[str, str] | None = None  # ("s3" | "kms" | "sqs", bucket, key or queue id)


def base_keys(principal: str | None) -> dict[str, str]:
    keys = {"aws:SecureTransport": "true"}
    if principal:
        keys["aws:PrincipalArn"] = principal
        keys["aws:PrincipalAccount"] = principal.split(":")[4]
    return keys


class Arns:
    def __init__(self, account: str, region: str) -> None:
        self.account, self.region = account, region

    def __call__(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"

    def cluster(self, name: str | None) -> str:
        name = name or "default"
        return name if name.startswith("arn:") else self("ecs", f"cluster/{name}")

    def task(self, cluster: str | None, task: str) -> str:
        if task.startswith("arn:"):
            return task
        return self("ecs", f"task/{self.cluster(cluster).rsplit('/', 1)[-1]}/{task}")


def checks(call: Call, principal: str | None, account: str, region: str, lookup: Lookup) -> list[Checked]:
    """Every authorization AWS makes for `call` by `principal` (None: no role, the administrator)."""
    arns = Arns(account, region)
    keys = base_keys(principal)
    service = call.service
    if service == "s3":
        return _s3(call, principal, keys, region, lookup)
    params = call.params()
    action = f"{service}:{call.operation}"
    if service == "ecs":
        return _ecs(call.operation, params, principal=principal, keys=keys, arns=arns, lookup=lookup)
    if service == "sqs":
        queue = str(params.get("QueueUrl", "")).rsplit("/", 1)[-1] or str(params.get("QueueName", ""))
        resource = arns("sqs", queue) if queue else "*"
        action = SQS_BATCHES.get(call.operation, action)
        return [Checked(Request(action, resource, principal, keys), ("sqs", queue) if queue else None)]
    if service == "kms":
        key = lookup.key_arn(str(params.get("KeyId", ""))) if params.get("KeyId") else None
        return [Checked(Request(action, key or "*", principal, keys), ("kms", key) if key else None)]
    if service == "logs":
        return [Checked(Request(action, _log_resource(params, arns), principal, keys))]
    if service == "secretsmanager":
        secret = str(params.get("SecretId", ""))
        resource = (
            (lookup.secret_arn(secret) or arns("secretsmanager", f"secret:{secret}")) if secret else "*"
        )
        return [Checked(Request(action, resource, principal, keys))]
    return [
        Checked(Request(found.action, found.resource, principal, {**keys, **found.keys}))
        for found in authorizations(service, call.operation, params, account, region)
    ]


def _log_resource(params: Mapping[str, Any], arns: Arns) -> str:
    group = params.get("logGroupName") or params.get("logGroupIdentifier")
    if not group:
        return arns("logs", "log-group:*")
    stream = params.get("logStreamName")
    if stream:
        return arns("logs", f"log-group:{group}:log-stream:{stream}")
    return arns("logs", f"log-group:{group}:*")


def _ecs(
    operation: str,
    params: Mapping[str, Any],
    *,
    principal: str | None,
    keys: Mapping[str, str],
    arns: Arns,
    lookup: Lookup,
) -> list[Checked]:
    action = f"ecs:{operation}"
    cluster = params.get("cluster")
    with_cluster = {**keys, "ecs:cluster": arns.cluster(cluster)}
    if operation == "RunTask":
        found = lookup.task_definition(str(params.get("taskDefinition", "")))
        definition = found[0] if found else arns("ecs", f"task-definition/{params.get('taskDefinition')}")
        checked = [Checked(Request(action, definition, principal, with_cluster))]
        overrides = params.get("overrides") or {}
        roles = [overrides.get("taskRoleArn"), overrides.get("executionRoleArn")]
        roles = [role or (found[1][index] if found else "") for index, role in enumerate(roles)]
        passed = {**keys, "iam:PassedToService": ECS_TASKS}
        checked += [Checked(Request("iam:PassRole", role, principal, passed)) for role in roles if role]
        if params.get("tags"):
            tagging = {**with_cluster, "ecs:CreateAction": "RunTask"}
            checked.append(Checked(Request("ecs:TagResource", arns.task(cluster, "new"), principal, tagging)))
        return checked
    tasks = params.get("tasks") or ([params["task"]] if params.get("task") else [])
    if tasks:
        return [
            Checked(Request(action, arns.task(cluster, str(task)), principal, with_cluster)) for task in tasks
        ]
    if operation == "DescribeClusters":
        clusters = params.get("clusters") or ["default"]
        return [Checked(Request(action, arns.cluster(str(name)), principal, keys)) for name in clusters]
    if operation == "ListTasks":
        return [Checked(Request(action, "*", principal, with_cluster))]
    return [Checked(Request(action, "*", principal, keys))]


def _s3(
    call: Call, principal: str | None, keys: Mapping[str, str], region: str, lookup: Lookup
) -> list[Checked]:
    url = "https://" + call.url.split("://", 1)[-1]  # the endpoint stands for S3's HTTPS endpoint
    requests = s3_requests(call.operation, url, call.headers, call.body, principal)
    checked: list[Checked] = []
    for sent in requests:
        request = Request(sent.action, sent.resource, principal, {**sent.keys, **keys})
        bucket = request.resource.split(":::", 1)[-1].split("/", 1)[0]
        checked.append(Checked(request, ("s3", bucket) if request.resource != "*" else None))
        kms = {"s3:PutObject": "kms:GenerateDataKey", "s3:GetObject": "kms:Decrypt"}.get(request.action)
        key = lookup.bucket_key(bucket) if kms and "/" in request.resource.split(":::", 1)[-1] else None
        if key and call.operation != "HeadObject":
            kms_keys = {
                **keys,
                "kms:ViaService": f"s3.{region}.amazonaws.com",
                "kms:EncryptionContext:aws:s3:arn": request.resource,
            }
            checked.append(Checked(Request(str(kms), key, principal, kms_keys), ("kms", key)))
    return checked
