"""The start-up check: is the cluster there, may we use it, does the task definition fit, and is the
workload store one only the task roles can read?"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from farflow.executor.outcomes import LaunchVerdict, classify_launch_error
from farflow.executor.settings import ExecutorSettings, where
from farflow.executor.workload_writer import Stash, WorkloadWriter
from farflow.spec.aws_actions import action_names
from farflow.workload.reference import HEALTH_CHECK_OBJECT

ATTEMPTS = 5


class HealthCheckError(RuntimeError):
    """The executor cannot run tasks; the message says what to fix."""


def _denied(error: ClientError, action: str) -> HealthCheckError | None:
    code = error.response.get("Error", {}).get("Code", "")
    if "AccessDenied" in code or "UnauthorizedOperation" in code:
        return HealthCheckError(
            f"farflow's executor lacks the IAM permission {action} ({code}). Grant the scheduler's role "
            f"{', '.join(action_names())} (iam:PassRole on the task roles); `farflow deploy` grants exactly these."
        )
    return None


def _patiently(call: Callable[..., Any], **kwargs: Any) -> Any:
    """Ride out throttling and passing faults, so a busy account does not stop the scheduler starting."""
    for attempt in range(ATTEMPTS):
        try:
            return call(**kwargs)
        except (ClientError, BotoCoreError) as error:
            if attempt == ATTEMPTS - 1 or classify_launch_error(error) is not LaunchVerdict.RETRY:
                raise
            time.sleep(0.2 * 2**attempt)
    raise AssertionError("unreachable")


def check_health(client: Any, settings: ExecutorSettings) -> None:
    """Raise HealthCheckError naming the problem; return quietly when the executor can work."""
    try:
        clusters = _patiently(client.describe_clusters, clusters=[settings.cluster])
    except ClientError as error:
        raise _denied(error, "ecs:DescribeClusters") or HealthCheckError(
            f"DescribeClusters failed: {error}"
        ) from None
    except BotoCoreError as error:
        raise HealthCheckError(
            f"Cannot reach ECS ({error}). Check {where('region')}, {where('endpoint_url')} and the network."
        ) from None
    found = [c for c in clusters.get("clusters", []) if c.get("status") == "ACTIVE"]
    if not found:
        raise HealthCheckError(
            f"ECS cluster {settings.cluster!r} was not found (or is not ACTIVE) in {settings.region}. "
            f"Create it, or fix {where('cluster')}."
        )
    try:
        definition = _patiently(client.describe_task_definition, taskDefinition=settings.task_definition)[
            "taskDefinition"
        ]
    except ClientError as error:
        raise _denied(error, "ecs:DescribeTaskDefinition") or HealthCheckError(
            f"Task definition {settings.task_definition!r} was not found ({error}). Register it, or fix "
            f"{where('task_definition')}."
        ) from None
    names = [c.get("name") for c in definition.get("containerDefinitions", [])]
    if settings.container_name not in names:
        raise HealthCheckError(
            f"Task definition {settings.task_definition!r} has no container named "
            f"{settings.container_name!r} (it has {', '.join(map(str, names))}). "
            f"Fix {where('container_name')}."
        )


def check_workload_store(writer: WorkloadWriter, kms: Any) -> None:
    """Write and delete a probe object: the scheduler may write there, S3 encrypts it with SSE-KMS, and
    the key is a customer managed one. The AWS managed key aws/s3 would not do: its policy lets every
    principal of the account that may s3:GetObject (AWS's read-only policies included) decrypt."""
    location = writer.location
    probe = f"{location.prefix}{HEALTH_CHECK_OBJECT}"
    try:
        answer = _patiently(writer.put, stash=Stash(location.reference(probe), probe, b"{}"))
    except ClientError as error:
        raise _denied(error, "s3:PutObject") or HealthCheckError(
            f"Cannot write to the workload store {location.url} ({error}). Create the bucket, or fix "
            f"{where('workload_store')}."
        ) from None
    except BotoCoreError as error:
        raise HealthCheckError(f"Cannot reach the workload store {location.url} ({error}).") from None
    try:
        _check_store_key(location.url, answer, kms)
    finally:
        writer.delete(location.reference(probe))


def _check_store_key(url: str, answer: Any, kms: Any) -> None:
    algorithm, key_id = answer.get("ServerSideEncryption"), answer.get("SSEKMSKeyId")
    fix = (
        "Give the bucket default encryption SSE-KMS with a customer managed key whose policy lets only "
        "the Airflow task roles decrypt (`farflow deploy` creates one)."
    )
    if not str(algorithm).startswith("aws:kms") or not key_id:
        raise HealthCheckError(
            f"The workload store {url} encrypts objects with {algorithm or 'no'} encryption, not SSE-KMS, "
            f"so anyone allowed s3:GetObject could read the tokens. {fix}"
        )
    try:
        metadata = _patiently(kms.describe_key, KeyId=key_id)["KeyMetadata"]
    except ClientError as error:
        raise _denied(error, "kms:DescribeKey") or HealthCheckError(
            f"Cannot describe the workload store's KMS key {key_id} ({error})."
        ) from None
    if metadata.get("KeyManager") != "CUSTOMER":
        raise HealthCheckError(
            f"The workload store {url} encrypts with the AWS managed key aws/s3, whose policy lets every "
            f"principal of the account that may s3:GetObject decrypt the tokens. {fix}"
        )


def check_events_queue(sqs: Any, settings: ExecutorSettings) -> None:
    """With events on: the queue exists and this role may read it (HealthCheckError naming the fix)."""
    url = settings.events_queue_url
    try:
        _patiently(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["QueueArn"])
    except ClientError as error:
        raise _denied(error, "sqs:GetQueueAttributes") or HealthCheckError(
            f"The task events queue {url} cannot be read ({error}). Create it (`farflow deploy` does), "
            f"or fix or unset {where('events_queue_url')}."
        ) from None
    except BotoCoreError as error:
        raise HealthCheckError(
            f"Cannot reach SQS ({error}). Check {where('region')}, {where('endpoint_url')} and the network."
        ) from None
