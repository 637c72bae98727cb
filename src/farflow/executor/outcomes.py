"""What each RunTask failure and each stopped ECS task means for the Airflow task: one table.

Only classification lives here. How long to wait for capacity ([ecs_fargate] capacity_retry_seconds)
and how often to relaunch ([ecs_fargate] max_relaunches) are the launcher's and the executor class's business.
docs/outcomes.md is this module as a table; keep the two in step.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)
from botocore.exceptions import (
    CredentialRetrievalError,
    HTTPClientError,
    NoAuthTokenError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
    SSOError,
    TokenRetrievalError,
    UnknownCredentialError,
)

from farflow.spec.run_task_errors import CAPACITY_PHRASES, RETRY_CODES, THROTTLE_CODES
from farflow.workload.exits import MEANINGS as ENTRY_POINT_EXITS


class LaunchVerdict(enum.Enum):
    """What to do after a RunTask call that did not start a task."""

    RETRY = "retry"
    """Transient (throttling, 5xx, network): try again soon with backoff."""
    CAPACITY = "capacity"
    """No room right now (Fargate/Spot capacity, EC2 resources): retry until the capacity deadline."""
    PERMANENT = "permanent"
    """The request can never work as is: fail the task with the reason."""
    CREDENTIALS = "credentials"
    """Credentials are missing or expired: refresh the client, keep the task queued."""


# --- RunTask raised -----------------------------------------------------------------------------

CREDENTIAL_CODES = frozenset(
    {
        "ExpiredTokenException",
        "ExpiredToken",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "MissingAuthenticationToken",
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
        "AuthFailure",
    }
)
PERMANENT_CODES = frozenset(
    {
        "InvalidParameterException",
        "ClientException",
        "AccessDeniedException",
        "ClusterNotFoundException",
        "PlatformUnknownException",
        "PlatformTaskDefinitionIncompatibilityException",
        "UnsupportedFeatureException",
        "BlockedException",
        "ConflictException",
    }
)
_CREDENTIAL_ERRORS = (
    NoCredentialsError,
    PartialCredentialsError,
    CredentialRetrievalError,
    TokenRetrievalError,
    NoAuthTokenError,
    UnknownCredentialError,
    SSOError,
)
_NETWORK_ERRORS = (BotoConnectionError, HTTPClientError)  # EndpointConnection, Connect/ReadTimeout, ...


def is_throttle(error: BaseException) -> bool:
    """AWS asked us to slow down (the launcher halves its rate)."""
    return error_code(error) in THROTTLE_CODES


def error_code(error: BaseException) -> str:
    """AWS's error code for a ClientError, else the exception's class name."""
    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return str(code) if code else type(error).__name__


def classify_launch_error(error: BaseException) -> LaunchVerdict:
    """What a RunTask call that raised means; unknown errors are retried (the task stays queued)."""
    if isinstance(error, _CREDENTIAL_ERRORS) or _says_credentials_expired(error):
        return LaunchVerdict.CREDENTIALS
    if isinstance(error, ParamValidationError):
        return LaunchVerdict.PERMANENT  # the request itself is malformed; it will never pass
    if isinstance(error, _NETWORK_ERRORS):
        return LaunchVerdict.RETRY
    response = getattr(error, "response", None)
    if not isinstance(response, Mapping) or "Error" not in response:
        return LaunchVerdict.RETRY  # not a ClientError: unknown, so retry rather than fail a task
    details = response.get("Error") or {}
    code = str(details.get("Code", ""))
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    if code in CREDENTIAL_CODES:
        return LaunchVerdict.CREDENTIALS
    if code in RETRY_CODES:
        return LaunchVerdict.RETRY
    if _says_no_capacity(str(details.get("Message", ""))):
        return LaunchVerdict.CAPACITY
    if code in PERMANENT_CODES:
        return LaunchVerdict.PERMANENT
    if isinstance(status, int) and (status >= 500 or status == 429):
        return LaunchVerdict.RETRY
    if isinstance(status, int) and 400 <= status < 500:
        return LaunchVerdict.PERMANENT
    return LaunchVerdict.RETRY


def _says_credentials_expired(error: BaseException) -> bool:
    # botocore raises a plain RuntimeError: "...the refreshed credentials are still expired."
    text = str(error).lower()
    return "credentials" in text and "expired" in text and getattr(error, "response", None) is None


def _says_no_capacity(text: str) -> bool:
    lowered = text.lower()
    return any(phrase in lowered for phrase in CAPACITY_PHRASES)


# --- RunTask answered 200 with failures and no tasks ------------------------------------------


def classify_launch_failures(failures: Sequence[Mapping[str, Any]]) -> tuple[LaunchVerdict, str]:
    """What RunTask's `failures` mean, and a readable reason quoting AWS.

    CAPACITY if any failure is about room (RESOURCE:*, AGENT, capacity wording): waiting can fix
    it, and the capacity deadline bounds the wait. Otherwise PERMANENT (MISSING, ATTRIBUTE, ...).
    """
    if not failures:
        return LaunchVerdict.RETRY, "ECS RunTask returned neither a task nor a failure"
    texts = [_failure_text(failure) for failure in failures]
    capacity = any(_is_capacity_failure(failure) for failure in failures)
    verdict = LaunchVerdict.CAPACITY if capacity else LaunchVerdict.PERMANENT
    prefix = "ECS has no capacity for the task now" if capacity else "ECS cannot run the task"
    return verdict, f"{prefix}: {'; '.join(texts)}"


def _is_capacity_failure(failure: Mapping[str, Any]) -> bool:
    reason = str(failure.get("reason") or "")
    if reason.startswith("RESOURCE") or reason == "AGENT":
        return True
    return _says_no_capacity(f"{reason} {failure.get('detail') or ''}")


def _failure_text(failure: Mapping[str, Any]) -> str:
    text = str(failure.get("reason") or "unknown reason")
    if failure.get("detail"):
        text += f" ({failure['detail']})"
    if failure.get("arn"):
        text += f" [{failure['arn']}]"
    return text


# --- a task stopped -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StopVerdict:
    """What a stopped ECS task means for its Airflow task."""

    outcome: Literal["success", "failed", "relaunch"]
    reason: str
    """Human text for the task event: stop code, stoppedReason, exit code, container reason."""
    exit_code: int | None
    stop_code: str | None


INFRASTRUCTURE_STOPS = frozenset({"SpotInterruption", "TerminationNotice", "InfrastructureHealth"})
"""AWS took the task away: relaunch if the Airflow container had not started, else fail."""


def classify_stopped_task(task: Mapping[str, Any], container_name: str) -> StopVerdict:
    """What a STOPPED task (one DescribeTasks `tasks` item) means, judged by the Airflow container."""
    container = _container(task, container_name)
    exit_code = container.get("exitCode")
    exit_code = exit_code if isinstance(exit_code, int) and not isinstance(exit_code, bool) else None
    stop_code = task.get("stopCode") or None
    reason = _stop_reason(task, container, container_name, exit_code)

    def verdict(outcome: Literal["success", "failed", "relaunch"]) -> StopVerdict:
        return StopVerdict(outcome, reason, exit_code, stop_code)

    if stop_code == "TaskFailedToStart":
        return verdict("relaunch")  # image pull, secrets, ENI: the Airflow task never ran
    if stop_code in INFRASTRUCTURE_STOPS:
        started = bool(task.get("startedAt")) or exit_code is not None
        return verdict("failed" if started else "relaunch")
    if stop_code in (None, "EssentialContainerExited"):
        # No stop code at all (some ECS-compatible endpoints): the exit code still decides.
        return verdict("success" if exit_code == 0 else "failed")
    return verdict("failed")  # UserInitiated, ServiceSchedulerInitiated, anything new


def _container(task: Mapping[str, Any], container_name: str) -> Mapping[str, Any]:
    containers = [item for item in task.get("containers") or () if isinstance(item, Mapping)]
    for item in containers:
        if item.get("name") == container_name:
            return item
    return {}


def _stop_reason(
    task: Mapping[str, Any], container: Mapping[str, Any], container_name: str, exit_code: int | None
) -> str:
    parts = [f"ECS task stopped ({task.get('stopCode') or 'no stop code'})"]
    if task.get("stoppedReason"):
        parts[0] += f": {task['stoppedReason']}"
    if not container:
        parts.append(f"container {container_name!r} not found in the task")
    elif exit_code is None:
        parts.append(f"container {container_name!r} has no exit code")
    else:
        parts.append(f"container {container_name!r} stopped with exit code {exit_code}")
        if exit_code in ENTRY_POINT_EXITS:
            parts[-1] += f": {ENTRY_POINT_EXITS[exit_code]}"
    if container.get("reason"):
        parts[-1] += f" ({container['reason']})"
    return "; ".join(parts)


# --- a task's phase, and DescribeTasks failures ------------------------------------------------

PENDING_STATUSES = frozenset({"PROVISIONING", "PENDING", "ACTIVATING"})


def task_phase(task: Mapping[str, Any]) -> Literal["pending", "running", "stopped"]:
    """Where a task is from Airflow's side: it is "stopped" only once ECS says STOPPED.

    DEACTIVATING, STOPPING and DEPROVISIONING still have no final exit code, so they count as
    running (if the task had started) or pending (if it never did).
    """
    status = task.get("lastStatus")
    if status == "STOPPED":
        return "stopped"
    if status == "RUNNING":
        return "running"
    if status in PENDING_STATUSES:
        return "pending"
    return "running" if task.get("startedAt") else "pending"


def classify_describe_failure(failure: Mapping[str, Any]) -> Literal["missing", "retry"]:
    """A DescribeTasks failure: MISSING means ECS no longer knows the task; anything else, ask again."""
    return "missing" if failure.get("reason") == "MISSING" else "retry"


_STOP_CODE = re.compile(r"\bECS task stopped \((?P<code>[A-Z][A-Za-z]+)")
_EXIT_CODE = re.compile(r"\bstopped with exit code (?P<code>-?\d+)")


def read_ending(text: str) -> tuple[str | None, int | None]:
    """The stop code and exit code `_stop_reason` wrote into a task event's text, where it has them."""
    stop, exit_ = _STOP_CODE.search(text or ""), _EXIT_CODE.search(text or "")
    return (stop["code"] if stop else None), (int(exit_["code"]) if exit_ else None)
