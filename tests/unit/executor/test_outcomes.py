"""One test per row of farflow's outcome table (docs/outcomes.md names these ids)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
    ReadTimeoutError,
    SSOTokenLoadError,
    TokenRetrievalError,
)
from botocore.session import get_session
from botocore.stub import Stubber
from botocore.validate import validate_parameters

from farflow.executor.outcomes import (
    LaunchVerdict,
    classify_describe_failure,
    classify_launch_error,
    classify_launch_failures,
    classify_stopped_task,
    task_phase,
)

CONTAINER = "airflow"
CAPACITY_TEXT = (
    "Capacity is unavailable at this time. Please try again later or in a different availability zone"
)
RETRY, CAPACITY, PERMANENT, CREDENTIALS = (
    LaunchVerdict.RETRY,
    LaunchVerdict.CAPACITY,
    LaunchVerdict.PERMANENT,
    LaunchVerdict.CREDENTIALS,
)


def client_error(code: str, status: int = 400, message: str = "message from AWS") -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "RunTask")


# --- RunTask raised -----------------------------------------------------------------------------

LAUNCH_ERROR_ROWS = [
    *(
        pytest.param(client_error(code), RETRY, id=code)
        for code in (
            "ThrottlingException",
            "Throttling",
            "TooManyRequestsException",
            "RequestLimitExceeded",
        )
    ),
    pytest.param(client_error("ServerException", 500), RETRY, id="ServerException"),
    pytest.param(client_error("ServiceUnavailable", 503), RETRY, id="ServiceUnavailable"),
    pytest.param(client_error("SomethingNew", 502), RETRY, id="unknown-5xx"),
    pytest.param(client_error("SomethingNew", 429), RETRY, id="unknown-429"),
    pytest.param(EndpointConnectionError(endpoint_url="https://ecs"), RETRY, id="EndpointConnectionError"),
    pytest.param(ConnectTimeoutError(endpoint_url="https://ecs"), RETRY, id="ConnectTimeoutError"),
    pytest.param(ReadTimeoutError(endpoint_url="https://ecs"), RETRY, id="ReadTimeoutError"),
    pytest.param(ConnectionClosedError(endpoint_url="https://ecs"), RETRY, id="ConnectionClosedError"),
    *(
        pytest.param(client_error(code), CREDENTIALS, id=code)
        for code in (
            "ExpiredTokenException",
            "ExpiredToken",
            "InvalidClientTokenId",
            "UnrecognizedClientException",
        )
    ),
    pytest.param(NoCredentialsError(), CREDENTIALS, id="NoCredentialsError"),
    pytest.param(PartialCredentialsError(provider="env", cred_var="AWS_SECRET"), CREDENTIALS, id="Partial"),
    pytest.param(TokenRetrievalError(provider="sso", error_msg="x"), CREDENTIALS, id="TokenRetrievalError"),
    pytest.param(
        CredentialRetrievalError(provider="sts", error_msg="x"), CREDENTIALS, id="CredentialRetrieval"
    ),
    pytest.param(SSOTokenLoadError(error_msg="x"), CREDENTIALS, id="SSOTokenLoadError"),
    pytest.param(
        RuntimeError("Credentials were refreshed, but the refreshed credentials are still expired."),
        CREDENTIALS,
        id="credentials-expired",
    ),
    *(
        pytest.param(client_error(code), PERMANENT, id=code)
        for code in (
            "InvalidParameterException",
            "ClientException",
            "ClusterNotFoundException",
            "PlatformUnknownException",
            "PlatformTaskDefinitionIncompatibilityException",
            "UnsupportedFeatureException",
        )
    ),
    pytest.param(client_error("AccessDeniedException", 403), PERMANENT, id="AccessDeniedException"),
    pytest.param(client_error("SomethingNew", 404), PERMANENT, id="unknown-4xx"),
    pytest.param(ParamValidationError(report="bad"), PERMANENT, id="ParamValidationError"),
    pytest.param(client_error("ClientException", 400, CAPACITY_TEXT), CAPACITY, id="capacity-message"),
    pytest.param(
        client_error(
            "ClientException",
            400,
            "You've reached the limit on the number of vCPUs you can run concurrently",
        ),
        CAPACITY,
        id="vcpu-quota-message",
    ),
    pytest.param(
        client_error(
            "InvalidParameterException",
            400,
            "The specified FARGATE_SPOT capacity provider is not associated with the cluster.",
        ),
        PERMANENT,
        id="capacity-provider-not-associated",
    ),
    pytest.param(
        client_error("InvalidParameterException", 400, "The cluster has no capacity providers."),
        PERMANENT,
        id="no-capacity-providers",
    ),
    pytest.param(ValueError("something odd"), RETRY, id="unknown-exception"),
]


@pytest.mark.parametrize(("error", "expected"), LAUNCH_ERROR_ROWS)
def test_launch_error(error: BaseException, expected: LaunchVerdict) -> None:
    assert classify_launch_error(error) is expected


def test_launch_error_from_a_real_client_error() -> None:
    # The ClientError shape the table reads is the one botocore really raises.
    client = boto3.client("ecs", region_name="us-east-1")
    with Stubber(client) as stubber:
        stubber.add_client_error("run_task", "ThrottlingException", "Rate exceeded", 400)
        with pytest.raises(ClientError) as info:
            client.run_task(taskDefinition="td")
    assert classify_launch_error(info.value) is RETRY


def test_launch_error_from_a_refused_connection() -> None:
    config = Config(retries={"max_attempts": 0}, connect_timeout=1, read_timeout=1)
    client = boto3.client("ecs", region_name="us-east-1", endpoint_url="http://127.0.0.1:9", config=config)
    with pytest.raises(Exception) as info:
        client.run_task(taskDefinition="td")
    assert classify_launch_error(info.value) is RETRY


def test_launch_error_from_a_request_botocore_rejects() -> None:
    client = boto3.client("ecs", region_name="us-east-1")
    with pytest.raises(ParamValidationError) as info:
        client.run_task(taskDefinition="td", count="one")
    assert classify_launch_error(info.value) is PERMANENT


# --- RunTask answered with failures -------------------------------------------------------------

LAUNCH_FAILURE_ROWS = [
    *(
        pytest.param([{"reason": reason, "arn": "arn:aws:ecs:i-1"}], CAPACITY, id=reason)
        for reason in (
            "RESOURCE:CPU",
            "RESOURCE:MEMORY",
            "RESOURCE:ENI",
            "RESOURCE:PORTS",
            "RESOURCE:GPU",
            "AGENT",
        )
    ),
    pytest.param([{"reason": CAPACITY_TEXT}], CAPACITY, id="fargate-capacity"),
    pytest.param(
        [{"reason": "Capacity is unavailable", "detail": "Insufficient Spot capacity in the AZ"}],
        CAPACITY,
        id="spot-capacity",
    ),
    pytest.param([{"reason": "MISSING", "arn": "arn:aws:ecs:td/missing"}], PERMANENT, id="MISSING"),
    pytest.param([{"reason": "ATTRIBUTE", "detail": "ecs.capability.x"}], PERMANENT, id="ATTRIBUTE"),
    pytest.param(
        [{"reason": "The requested CPU configuration is above your limit"}], PERMANENT, id="other-reason"
    ),
    pytest.param([{"reason": "MISSING"}, {"reason": "RESOURCE:MEMORY"}], CAPACITY, id="mixed"),
    pytest.param([], RETRY, id="empty"),
]


@pytest.mark.parametrize(("failures", "expected"), LAUNCH_FAILURE_ROWS)
def test_launch_failures(failures: list[dict[str, str]], expected: LaunchVerdict) -> None:
    verdict, reason = classify_launch_failures(failures)
    assert verdict is expected
    for failure in failures:
        for text in failure.values():
            assert text in reason  # AWS's own words reach the task event


# --- a task stopped -----------------------------------------------------------------------------

STARTED = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def stopped_task(
    stop_code: str | None,
    stopped_reason: str = "",
    *,
    exit_code: int | None = None,
    container_reason: str | None = None,
    started: bool = True,
    containers: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    container: dict[str, Any] = {"name": CONTAINER, "lastStatus": "STOPPED"}
    if exit_code is not None:
        container["exitCode"] = exit_code
    if container_reason:
        container["reason"] = container_reason
    task: dict[str, Any] = {
        "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/farflow/0123",
        "lastStatus": "STOPPED",
        "desiredStatus": "STOPPED",
        "containers": [container, {"name": "log-router", "lastStatus": "STOPPED", "exitCode": 0}]
        if containers is None
        else containers,
    }
    if stop_code:
        task["stopCode"] = stop_code
    if stopped_reason:
        task["stoppedReason"] = stopped_reason
    if started:
        task["startedAt"] = STARTED
    return task


STOP_ROWS = [
    pytest.param(
        stopped_task("EssentialContainerExited", "Essential container in task exited", exit_code=0),
        "success",
        0,
        id="exit-0",
    ),
    pytest.param(
        stopped_task("EssentialContainerExited", "Essential container in task exited", exit_code=1),
        "failed",
        1,
        id="exit-1",
    ),
    pytest.param(
        stopped_task(
            "EssentialContainerExited",
            "Essential container in task exited",
            exit_code=137,
            container_reason="OutOfMemoryError: Container killed due to memory usage",
        ),
        "failed",
        137,
        id="oom-137",
    ),
    pytest.param(
        stopped_task("EssentialContainerExited", "Essential container in task exited"),
        "failed",
        None,
        id="no-exit-code",
    ),
    pytest.param(
        stopped_task(
            "TaskFailedToStart",
            "CannotPullContainerError: pull image manifest has been retried 5 time(s)",
            started=False,
        ),
        "relaunch",
        None,
        id="CannotPullContainerError",
    ),
    pytest.param(
        stopped_task(
            "TaskFailedToStart",
            "ResourceInitializationError: unable to pull secrets or registry auth",
            started=False,
        ),
        "relaunch",
        None,
        id="ResourceInitializationError",
    ),
    pytest.param(
        stopped_task(
            "TaskFailedToStart",
            "Timeout waiting for network interface provisioning to complete.",
            started=False,
        ),
        "relaunch",
        None,
        id="eni-timeout",
    ),
    pytest.param(
        stopped_task("SpotInterruption", "Your Spot Task was interrupted.", started=False),
        "relaunch",
        None,
        id="spot-before-start",
    ),
    pytest.param(
        stopped_task("SpotInterruption", "Your Spot Task was interrupted.", exit_code=143),
        "failed",
        143,
        id="spot-after-start",
    ),
    pytest.param(
        stopped_task("TerminationNotice", "Task stopped due to a termination notice", started=False),
        "relaunch",
        None,
        id="termination-before-start",
    ),
    pytest.param(
        stopped_task("TerminationNotice", "Task stopped due to a termination notice", exit_code=143),
        "failed",
        143,
        id="termination-after-start",
    ),
    pytest.param(
        stopped_task("InfrastructureHealth", "Underlying host unhealthy", started=False),
        "relaunch",
        None,
        id="infrastructure-before-start",
    ),
    pytest.param(
        stopped_task("UserInitiated", "Stopped by an operator", exit_code=143),
        "failed",
        143,
        id="UserInitiated",
    ),
    pytest.param(
        stopped_task("UserInitiated", "Stopped after the task finished", exit_code=0),
        "failed",
        0,
        id="UserInitiated-exit-0",
    ),
    pytest.param(
        stopped_task("ServiceSchedulerInitiated", "Scaling activity initiated", exit_code=143),
        "failed",
        143,
        id="ServiceSchedulerInitiated",
    ),
    pytest.param(
        stopped_task("SomethingNew", "new reason", exit_code=0), "failed", 0, id="unknown-stop-code"
    ),
    pytest.param(stopped_task(None, exit_code=0), "success", 0, id="no-stop-code-exit-0"),
    pytest.param(stopped_task(None), "failed", None, id="no-stop-code-no-exit"),
    pytest.param(
        stopped_task("EssentialContainerExited", containers=[{"name": "other", "exitCode": 0}]),
        "failed",
        None,
        id="container-missing",
    ),
]


@pytest.fixture(scope="module")
def task_shape() -> Any:
    return get_session().get_service_model("ecs").shape_for("Task")


@pytest.mark.parametrize(("task", "outcome", "exit_code"), STOP_ROWS)
def test_stopped_task(task: dict[str, Any], outcome: str, exit_code: int | None, task_shape: Any) -> None:
    validate_parameters(task, task_shape)  # the fixture is a real ECS Task, as DescribeTasks returns it
    verdict = classify_stopped_task(task, CONTAINER)
    assert verdict.outcome == outcome
    assert verdict.exit_code == exit_code
    assert verdict.stop_code == task.get("stopCode")
    if task.get("stoppedReason"):
        assert task["stoppedReason"] in verdict.reason
    if exit_code is not None:
        assert f"exit code {exit_code}" in verdict.reason


def test_stopped_task_reason_names_stop_code_exit_code_and_container_reason() -> None:
    task = stopped_task(
        "EssentialContainerExited",
        "Essential container in task exited",
        exit_code=137,
        container_reason="OutOfMemoryError: Container killed due to memory usage",
    )
    assert classify_stopped_task(task, CONTAINER).reason == (
        "ECS task stopped (EssentialContainerExited): Essential container in task exited; "
        "container 'airflow' stopped with exit code 137 "
        "(OutOfMemoryError: Container killed due to memory usage)"
    )


def test_stopped_task_reason_says_why_farflows_entry_point_could_not_run_the_workload() -> None:
    task = stopped_task("EssentialContainerExited", "Essential container in task exited", exit_code=66)
    verdict = classify_stopped_task(task, CONTAINER)
    assert verdict.outcome == "failed"
    assert "exit code 66: the workload object does not exist" in verdict.reason


def test_stopped_task_judges_the_airflow_container_not_a_sidecar() -> None:
    task = stopped_task(
        "EssentialContainerExited",
        exit_code=0,
        containers=[{"name": "log-router", "exitCode": 1}, {"name": CONTAINER, "exitCode": 0}],
    )
    assert classify_stopped_task(task, CONTAINER).outcome == "success"
    assert classify_stopped_task(task, "log-router").outcome == "failed"


# --- phases and DescribeTasks failures ---------------------------------------------------------

PHASE_ROWS = [
    *(pytest.param({"lastStatus": s}, "pending", id=s) for s in ("PROVISIONING", "PENDING", "ACTIVATING")),
    pytest.param({"lastStatus": "RUNNING", "startedAt": STARTED}, "running", id="RUNNING"),
    *(
        pytest.param({"lastStatus": s, "startedAt": STARTED}, "running", id=f"{s}-started")
        for s in ("DEACTIVATING", "STOPPING", "DEPROVISIONING")
    ),
    *(
        pytest.param({"lastStatus": s}, "pending", id=f"{s}-never-started")
        for s in ("DEACTIVATING", "STOPPING", "DEPROVISIONING")
    ),
    pytest.param({"lastStatus": "STOPPED"}, "stopped", id="STOPPED"),
    pytest.param({}, "pending", id="no-status"),
]


@pytest.mark.parametrize(("task", "phase"), PHASE_ROWS)
def test_task_phase(task: dict[str, Any], phase: str) -> None:
    assert task_phase(task) == phase


DESCRIBE_FAILURE_ROWS = [
    pytest.param({"arn": "arn:aws:ecs:task/x", "reason": "MISSING"}, "missing", id="MISSING"),
    pytest.param({"arn": "arn:aws:ecs:task/x", "reason": "SERVICE_UNAVAILABLE"}, "retry", id="other"),
    pytest.param({}, "retry", id="no-reason"),
]


@pytest.mark.parametrize(("failure", "expected"), DESCRIBE_FAILURE_ROWS)
def test_describe_failure(failure: dict[str, str], expected: str) -> None:
    assert classify_describe_failure(failure) == expected


# --- the docs table points at real tests -------------------------------------------------------

ROWS_BY_TEST = {
    "test_launch_error": LAUNCH_ERROR_ROWS,
    "test_launch_failures": LAUNCH_FAILURE_ROWS,
    "test_stopped_task": STOP_ROWS,
    "test_task_phase": PHASE_ROWS,
    "test_describe_failure": DESCRIBE_FAILURE_ROWS,
}


def test_docs_outcome_table_names_existing_tests() -> None:
    docs = (Path(__file__).parents[3] / "docs" / "outcomes.md").read_text()
    references = re.findall(r"`(test_\w+)\[([^\]]+)\]`", docs)
    assert len(references) >= 40
    for name, ids in references:
        known = {row.id for row in ROWS_BY_TEST[name]}
        for row_id in ids.split(", "):
            assert row_id in known, f"docs/outcomes.md names {name}[{row_id}], which does not exist"
    named = {row_id for _, ids in references for row_id in ids.split(", ")}
    every = {row.id for rows in ROWS_BY_TEST.values() for row in rows}
    assert every <= named, f"rows missing from docs/outcomes.md: {sorted(every - named)}"
