"""Which API operations the endpoint answered: ECS ones in total, and every one per kind of client.

The deploy grants farflow's executor exactly the actions in `farflow.spec.aws_actions`; a test
checks, against this log, that the executor called nothing else. The executor's boto3 client sets
`user_agent_extra="farflow"`, which botocore appends to its User-Agent as a token of its own; that tells
its calls apart from other clients on the same endpoint (the sample DAG's operators also call RunTask).
"""

from __future__ import annotations

import threading
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from farflow.local.endpoint.s3_routes import s3_operation

ECS_TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."
FARFLOW_CLIENT = "farflow"
OTHER_CLIENT = "other"


def client_kind(user_agent: str) -> str:
    """`farflow` when the User-Agent carries farflow's token (`farflow` or `farflow/<version>`)."""
    tokens = (token.split("/", 1)[0] for token in user_agent.split())
    return FARFLOW_CLIENT if FARFLOW_CLIENT in tokens else OTHER_CLIENT


def service_of(environ: Mapping[str, Any]) -> str | None:
    """The AWS service a request is signed for (ecs, logs, s3, kms, ...)."""
    return _service(str(environ.get("HTTP_AUTHORIZATION", "")))


def _service(authorization: str) -> str | None:
    """The service of a SigV4 credential scope: `Credential=KEY/DATE/REGION/SERVICE/aws4_request`."""
    _, _, rest = authorization.partition("Credential=")
    parts = rest.split(",", 1)[0].split("/")
    return parts[3] if len(parts) > 3 else None


def operation_name(environ: Mapping[str, Any]) -> str:
    """The API operation of a request, as `aws_actions` names it (RunTask, not ecs:RunTask).

    JSON APIs (ECS, CloudWatch Logs, SQS, KMS) name it in X-Amz-Target; query APIs in the Action
    parameter of the URL; S3's by method, path, query and headers as botocore's model routes them
    (`s3_routes`; path-style URLs, as the local endpoint gets them). Anything else (a query API's form
    body, which the access check reads itself, other REST calls) is named by service, method and path,
    so it is still counted and can never pass for a declared operation.
    """
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if target:
        return target.rsplit(".", 1)[-1]
    query = str(environ.get("QUERY_STRING", ""))
    action = urllib.parse.parse_qs(query).get("Action")
    if action:
        return action[0]
    service = service_of(environ) or "unknown"
    method, path = str(environ.get("REQUEST_METHOD", "?")), str(environ.get("PATH_INFO", "/"))
    named = s3_operation(method, path, query, _headers(environ)) if service == "s3" else None
    return named or f"{service} {method} {path}"


def _headers(environ: Mapping[str, Any]) -> set[str]:
    """The header names of a WSGI request, as sent (lower case)."""
    return {key[5:].replace("_", "-").lower() for key in environ if key.startswith("HTTP_")}


class CallLog:
    """Thread-safe counts, taken before throttling or latency so a throttled call still counts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ecs: Counter[str] = Counter()
        self._by_client: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def record(self, environ: Mapping[str, Any]) -> None:
        operation = operation_name(environ)
        client = client_kind(str(environ.get("HTTP_USER_AGENT", "")))
        ecs = str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith(ECS_TARGET_PREFIX)
        with self._lock:
            if ecs:
                self._ecs[operation] += 1
            self._by_client[client][operation] += 1

    def ecs(self) -> dict[str, int]:
        """ECS calls by operation, from every client."""
        with self._lock:
            return dict(self._ecs)

    def by_client(self) -> dict[str, dict[str, int]]:
        """Calls of every service by client kind (`farflow`, `other`), then by operation."""
        with self._lock:
            return {client: dict(counts) for client, counts in self._by_client.items()}
