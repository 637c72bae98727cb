"""`python -m farflow.workload s3://bucket/key`: fetch a task's workload, delete it, run it.

The Airflow container's command when `[ecs_fargate] workload_store` is set. It reads the object with the
task role's credentials (on ECS from the container's credentials endpoint; locally the endpoint's
dummy keys and AWS_ENDPOINT_URL), deletes it so it cannot be read twice, and runs the workload exactly
as `python -m airflow.sdk.execution_time.execute_workload --json-string ...` does. Before the workload
runs, every failure is one line on stderr and an exit code from `exits.py`; neither the token nor the
object's body is ever printed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import IO, Any

from farflow.workload.exits import MEANINGS, Exit
from farflow.workload.reference import StoreUrlError, parse_reference
from farflow.workload.token import TOKEN_LIFETIME_SETTING, expires_at

DEFAULT_LEEWAY = 10  # Airflow's default [api_auth] jwt_leeway: the api-server accepts a token this late
MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
DENIED_CODES = frozenset({"AccessDenied", "403", "Forbidden", "InvalidObjectState"})


class Refused(Exception):
    """The workload cannot be run; `exit` says why in one code, the message in words."""

    def __init__(self, exit: Exit, message: str) -> None:
        super().__init__(message)
        self.exit = exit


def main(
    argv: Sequence[str],
    *,
    run: Callable[[Any], object] | None = None,
    now: Callable[[], float] = time.time,
    leeway: float | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Fetch, delete and run the workload `argv[0]` names; the exit code (0 once the workload ran).

    `run` runs the parsed workload (default: the Task SDK's `execute_workload`); `leeway` is how late a
    token may still be used (default: Airflow's `[api_auth] jwt_leeway`, as the api-server allows).
    """
    err = stderr or sys.stderr
    try:
        reference = _one_reference(argv)
        workload = _parse(_fetch_and_delete(reference, err), reference)
        _check_token(workload.token, reference, now(), _leeway() if leeway is None else leeway)
    except Refused as refused:
        print(f"farflow.workload: {refused} ({MEANINGS[refused.exit]}).", file=err, flush=True)
        return int(refused.exit)
    (run or _execute_workload)(workload)
    return 0


def _one_reference(argv: Sequence[str]) -> str:
    if len(argv) != 1:
        raise Refused(Exit.USAGE, f"expected one argument, s3://BUCKET/KEY, got {len(argv)}")
    try:
        parse_reference(argv[0])
    except StoreUrlError as error:
        raise Refused(Exit.USAGE, str(error)) from None
    return argv[0]


def _fetch_and_delete(reference: str, err: IO[str]) -> bytes:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    bucket, key = parse_reference(reference)
    client = boto3.client("s3")
    try:
        body: bytes = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in MISSING_CODES:
            raise Refused(Exit.MISSING, f"{reference} does not exist") from None
        if code in DENIED_CODES or code.startswith("KMS."):
            raise Refused(Exit.DENIED, f"reading {reference} was refused: {code}") from None
        raise Refused(Exit.UNAVAILABLE, f"reading {reference} failed: {code}: {error}") from None
    except NoCredentialsError:
        raise Refused(Exit.DENIED, f"no AWS credentials to read {reference}") from None
    except BotoCoreError as error:
        raise Refused(Exit.UNAVAILABLE, f"reading {reference} failed: {error}") from None
    try:
        client.delete_object(Bucket=bucket, Key=key)
    except (ClientError, BotoCoreError) as error:
        # The workload still runs; the executor deletes the object when the task stops, the store's
        # lifecycle rule after a day.
        print(f"farflow.workload: could not delete {reference} ({error}); running anyway.", file=err)
    return body


def _parse(body: bytes, reference: str) -> Any:
    from airflow.executors import workloads
    from pydantic import TypeAdapter, ValidationError

    try:
        return TypeAdapter(workloads.All).validate_json(body)
    except ValidationError as error:
        # Name where the body is wrong, never what it holds: pydantic's own text quotes the input.
        places = ", ".join(".".join(map(str, item["loc"])) or "(top)" for item in error.errors()[:3])
        raise Refused(
            Exit.NOT_A_WORKLOAD, f"{reference} failed validation ({error.error_count()} errors: {places})"
        ) from None


def _check_token(token: str, reference: str, now: float, leeway: float) -> None:
    expiry = expires_at(token)
    if expiry is not None and now > expiry + leeway:
        raise Refused(
            Exit.TOKEN_EXPIRED,
            f"the token of {reference} expired {now - expiry:.0f} s ago; raise {TOKEN_LIFETIME_SETTING}, "
            "or lower [ecs_fargate] capacity_retry_seconds and task_start_seconds so tasks start sooner",
        )


def _leeway() -> float:
    try:
        from airflow.configuration import conf

        return float(conf.getint("api_auth", "jwt_leeway", fallback=DEFAULT_LEEWAY))
    except Exception:
        return DEFAULT_LEEWAY


def _execute_workload(workload: Any) -> None:
    from airflow.sdk.execution_time.execute_workload import execute_workload

    from farflow.workload.prompt_exit import notice_exits_promptly

    notice_exits_promptly()
    execute_workload(workload)
