"""Every call the endpoint serves, decided against the caller's role and the resource's policy.

The caller is the role its access key names (`farflow.local.roles`); a key that names no role is the
account's administrator (the CLI's own calls, tests), whose identity allows everything but whom a
resource policy's Deny still stops. Identity policies are the role's inline policies in the endpoint's
IAM; resource policies the bucket's, key's and queue's own. `farflow.policy` decides as AWS documents:
explicit Deny wins, then an identity or resource Allow (same account), and a KMS key's policy must itself
allow. Not modelled: SCPs, permission boundaries, session policies, cross-account access (docs/local.md).

`enforce` answers a denied call as AWS does; `warn` logs it and lets it through; `off` skips it all.
Each distinct denial is logged once, with the role, action, resource and the deciding statement.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from farflow.local.endpoint.calls import operation_name, service_of
from farflow.local.endpoint.moto_state import MOTO_LOCK
from farflow.local.endpoint.request_context import QUERY_PROTOCOL, Call, Checked, checks, form_params
from farflow.local.iam_mode import DEFAULT_MODE, IamMode
from farflow.local.roles import role_of_key
from farflow.policy import Decision, Evaluation, PolicyError, Statement, authorize, parse_policy

logger = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
# Calls AWS answers for anyone signed in (STS "GetCallerIdentity": no permission is required).
ALWAYS_ALLOWED = frozenset({"sts:GetCallerIdentity"})


@lru_cache(maxsize=256)
def _parsed(document: str) -> tuple[Statement, ...]:
    return parse_policy(json.loads(document))


def statements(document: str | bytes | None) -> tuple[Statement, ...]:
    """A policy document's statements; none for no document (or one that does not parse)."""
    if not document:
        return ()
    try:
        return _parsed(document.decode() if isinstance(document, bytes) else document)
    except (ValueError, PolicyError) as error:
        logger.error(
            "A policy on the local endpoint does not parse (%s); calls are decided without it", error
        )
        return ()


@dataclass(frozen=True)
class Denial:
    role: str
    action: str
    resource: str
    evaluation: Evaluation

    @property
    def statement(self) -> str:
        return ", ".join(self.evaluation.statements) or "no statement allows it"

    def message(self, account: str) -> str:
        """AWS's message shape, plus the statement that decided."""
        kind = (
            "with an explicit deny in a policy (statement " + self.statement + ")"
            if self.evaluation.decision is Decision.EXPLICIT_DENY
            else "because no identity-based or resource-based policy allows the " + self.action + " action"
        )
        user = (
            f"arn:aws:sts::{account}:assumed-role/{self.role}/farflow-local"
            if self.role
            else f"arn:aws:iam::{account}:root"
        )
        return f"User: {user} is not authorized to perform: {self.action} on resource: {self.resource} {kind}"


class MotoState:
    """The endpoint's moto backends, read under MOTO_LOCK: the Lookup of request_context, and policies."""

    def __init__(self, account: str, region: str) -> None:
        self.account, self.region = account, region

    def task_definition(self, name: str) -> tuple[str, Sequence[str]] | None:
        from moto.ecs.models import ecs_backends

        try:
            found = ecs_backends[self.account][self.region].describe_task_definition(name)
        except Exception:
            return None
        roles = [
            str(getattr(found, attribute, None) or "")
            for attribute in ("task_role_arn", "execution_role_arn")
        ]
        return str(found.arn), roles

    def bucket_key(self, bucket: str) -> str | None:
        from moto.s3.models import s3_backends

        try:
            found = s3_backends[self.account]["aws"].get_bucket(bucket)
        except Exception:
            return None
        text = json.dumps(found.encryption or {})
        if "aws:kms" not in text:
            return None
        key = _find(found.encryption, "KMSMasterKeyID")
        return self.key_arn(key) if key else None

    def key_arn(self, key_id: str) -> str | None:
        from moto.kms.models import kms_backends

        try:
            return str(kms_backends[self.account][self.region].describe_key(key_id).arn)
        except Exception:
            return None

    def secret_arn(self, secret_id: str) -> str | None:
        from moto.secretsmanager.models import secretsmanager_backends

        try:
            return str(secretsmanager_backends[self.account][self.region].describe_secret(secret_id).arn)
        except Exception:
            return None

    def identity(self, role: str) -> list[tuple[Statement, ...]]:
        from moto.iam.models import iam_backends

        try:
            found = iam_backends[self.account]["aws"].get_role(role)
        except Exception:
            return []
        return [statements(document) for document in found.policies.values()]

    def resource_policy(self, kind: str, name: str) -> tuple[Statement, ...]:
        if kind == "s3":
            from moto.s3.models import s3_backends

            try:
                return statements(s3_backends[self.account]["aws"].get_bucket(name).policy)
            except Exception:
                return ()
        if kind == "kms":
            from moto.kms.models import kms_backends

            try:
                return statements(kms_backends[self.account][self.region].describe_key(name).policy)
            except Exception:
                return ()
        if kind == "sqs":
            from moto.sqs.models import sqs_backends

            queue = sqs_backends[self.account][self.region].queues.get(name)
            return statements(queue.policy) if queue is not None else ()
        return ()


def _find(value: Any, name: str) -> str | None:
    if isinstance(value, dict):
        for key, item in value.items():
            found = item if key == name and isinstance(item, str) else _find(item, name)
            if found:
                return found
    if isinstance(value, list):
        for item in value:
            found = _find(item, name)
            if found:
                return found
    return None


def access_key(environ: dict[str, Any]) -> str:
    _, _, scope = str(environ.get("HTTP_AUTHORIZATION", "")).partition("Credential=")
    return scope.split("/", 1)[0]


def _body(environ: dict[str, Any]) -> bytes:
    """The request body, read once and put back for moto."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def call_of(environ: dict[str, Any]) -> Call:
    host = str(environ.get("HTTP_HOST", "localhost"))
    query = str(environ.get("QUERY_STRING", ""))
    url = f"http://{host}{environ.get('PATH_INFO', '/')}" + (f"?{query}" if query else "")
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    body = _body(environ)
    service = service_of(environ) or "unknown"
    return Call(service, _form_action(environ, service, body) or operation_name(environ), url, headers, body)


def _form_action(environ: dict[str, Any], service: str, body: bytes) -> str | None:
    """A query protocol's operation, which botocore sends in the form body (`Action=CreateVpc`)."""
    form = str(environ.get("CONTENT_TYPE", "")).startswith("application/x-www-form-urlencoded")
    if service not in QUERY_PROTOCOL or not form:
        return None
    return str(form_params(body).get("Action") or "") or None


class AccessControl:
    def __init__(self, account: str, region: str, mode: IamMode = DEFAULT_MODE) -> None:
        self.account, self.region, self.mode = account, region, mode
        self.state = MotoState(account, region)
        self._lock = threading.Lock()
        self._evaluated = 0
        self._denied = 0
        self._logged: set[tuple[str, str, str, str]] = set()

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {"evaluated": self._evaluated, "denied": self._denied}

    def decide(self, environ: dict[str, Any]) -> Denial | None:
        """The first denial among the authorizations of this call (None: allowed, or the switch is off)."""
        if self.mode is IamMode.OFF:
            return None
        role = role_of_key(access_key(environ)) or ""
        principal = f"arn:aws:iam::{self.account}:role/{role}" if role else None
        call = call_of(environ)
        with MOTO_LOCK:
            found = checks(call, principal, self.account, self.region, self.state)
            identity = self.state.identity(role) if role else []
            denial = self._first_denial(found, role, identity)
        with self._lock:
            self._evaluated += 1
            if denial is not None:
                self._denied += 1
        if denial is not None:
            self._log(denial)
        return denial if self.mode is IamMode.ENFORCE else None

    def _first_denial(
        self, found: Iterable[Checked], role: str, identity: list[tuple[Statement, ...]]
    ) -> Denial | None:
        for checked in found:
            request = checked.request
            if request.action in ALWAYS_ALLOWED:
                continue
            kind, name = checked.resource_policy or ("", "")
            resource = self.state.resource_policy(kind, name) if kind else ()
            if role:
                evaluation = authorize(request, identity, resource, resource_must_allow=kind == "kms")
            else:  # the administrator: only a resource policy's explicit Deny stops it
                evaluation = authorize(request, [], resource)
                if evaluation.decision is not Decision.EXPLICIT_DENY:
                    continue
            if not evaluation.allowed:
                return Denial(role, request.action, request.resource, evaluation)
        return None

    def _log(self, denial: Denial) -> None:
        seen = (denial.role, denial.action, denial.resource, denial.statement)
        with self._lock:
            if seen in self._logged:
                return
            self._logged.add(seen)
        verb = "Denied" if self.mode is IamMode.ENFORCE else "Would deny"
        logger.warning(
            "IAM %s: role %s, action %s, resource %s, %s: %s",
            verb,
            denial.role or "(administrator)",
            denial.action,
            denial.resource,
            denial.evaluation.decision.value,
            denial.statement,
        )

    def answer(self, environ: dict[str, Any], denial: Denial, start_response: StartResponse) -> list[bytes]:
        """The denial as each protocol answers it: S3's XML AccessDenied, EC2's UnauthorizedOperation, the
        query protocols' (IAM, STS) ErrorResponse, the JSON protocols' AccessDeniedException."""
        message = denial.message(self.account)
        request_id = str(uuid.uuid4())
        service = service_of(environ)
        status, content_type = "403 Forbidden", "text/xml"
        if service == "ec2":
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>UnauthorizedOperation'
                f"</Code><Message>{_xml(message)}</Message></Error></Errors><RequestID>{request_id}</RequestID>"
                "</Response>"
            ).encode()
        elif service in QUERY_PROTOCOL:
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>Sender</Type>'
                f"<Code>AccessDenied</Code><Message>{_xml(message)}</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>"
            ).encode()
        elif service == "s3" or not environ.get("HTTP_X_AMZ_TARGET"):
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                f"<Message>{_xml(message)}</Message><RequestId>{request_id}</RequestId></Error>"
            ).encode()
            content_type = "application/xml"
        else:
            body = json.dumps({"__type": "AccessDeniedException", "message": message}).encode()
            content_type = "application/x-amz-json-1.1"
            status = "400 Bad Request"
        start_response(
            status,
            [
                ("Content-Type", content_type),
                ("Content-Length", str(len(body))),
                ("x-amzn-RequestId", request_id),
            ],
        )
        return [body]


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def leave_bucket_policies_to_farflow() -> None:
    """moto's S3 applies a bucket policy's Deny statements without their Principal and Condition (it asks
    `IAMPolicy.is_action_permitted(action, resource)` with no request context), so the workload store's
    conditional Denies would refuse every write AWS allows. This endpoint decides bucket policies itself."""
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    def neutral(self: Any, action: str, resource: str) -> Any:
        return PermissionResult.NEUTRAL

    FakeBucket.get_permission = neutral
