"""The first real `farflow deploy`, end to end on a real AWS account: opt in with FARFLOW_AWS_SMOKE=1.

Steps: bootstrap if needed, deploy the sample project, log in through the UI URL, run sample_dag through
the REST API, read one task's log through the API, destroy (always, after a failure too), then remove
what the stack keeps when deleted (the access log bucket, the database's final snapshot). It takes about
45-60 minutes and costs about a dollar. Without the opt-in, working credentials and Docker it is skipped,
and the skip names what is missing (tests/aws/smoke.py; tests/unit/test_aws_smoke.py checks it offline).
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from farflow.deploy.outputs import ADMIN_SECRET_OUTPUT, UI_URL_OUTPUT
from farflow.spec.ui_user import ADMIN_USER
from tests.aws.smoke import (
    DAG_ID,
    OPT_IN,
    PLACEHOLDER_KEYS,
    Kept,
    aws_environment,
    configure,
    farflow,
    finished,
    kept_resources,
    log_text,
    missing,
    real_probes,
    remove_kept,
    skip_reason,
    smoke_region,
    stack_name,
)
from tests.support.polling import wait_until

# CloudFormation's own waits (RDS, services reaching steady state) dominate a deploy.
SMOKE_TIMEOUT = 90 * 60


@dataclass(frozen=True)
class Account:
    """Where the smoke test deploys, and the environment (real credentials) its commands run in."""

    region: str
    environment: dict[str, str]

    def client(self, service: str) -> Any:
        import boto3

        return boto3.Session().client(service, region_name=self.region)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def account() -> Iterator[Account]:
    """The account, once the preflight finds nothing missing; else skip, saying what is."""
    with pytest.MonkeyPatch.context() as patch:
        if os.environ.get(OPT_IN) == "1" and aws_environment(os.environ) != os.environ:
            # The suite's placeholder keys (tests/conftest.py) would hide the real credentials.
            for key in PLACEHOLDER_KEYS:
                patch.delenv(key)
        region = smoke_region(os.environ)
        problems = missing(os.environ, region, real_probes())
        if problems:
            pytest.skip(skip_reason(problems))
        yield Account(region, dict(os.environ))


def bootstrap_if_needed(account: Account, project: Path) -> None:
    """`farflow bootstrap` unless the Region is bootstrapped recently enough (when unknown, bootstrap:
    bootstrapping a bootstrapped Region only brings it up to date)."""
    from farflow.deploy.preflight import MIN_BOOTSTRAP_VERSION, ProbeError, bootstrap_version

    try:
        version = bootstrap_version(account.client("ssm"), account.client("cloudformation"))
    except ProbeError:
        version = None
    if version is None or version < MIN_BOOTSTRAP_VERSION:
        farflow("bootstrap", "--project", str(project), environment=account.environment, cwd=project)


def deploy_sample_project(account: Account, project: Path) -> dict[str, str]:
    """`farflow deploy --yes`, then the stack outputs it wrote."""
    from farflow.deploy.toolkit import outputs_path, read_outputs

    farflow("deploy", "--project", str(project), "--yes", environment=account.environment, cwd=project)
    outputs = read_outputs(outputs_path(project).read_text())
    assert outputs is not None and outputs.ui_url and outputs.admin_secret_arn, outputs
    return {UI_URL_OUTPUT: outputs.ui_url, ADMIN_SECRET_OUTPUT: outputs.admin_secret_arn}


def log_in_through_the_ui(account: Account, outputs: dict[str, str]) -> Any:
    """The UI answers at its URL, and the admin logs in with the password from the stack's secret."""
    from farflow.airflow_api import AirflowApi

    ui_url = outputs[UI_URL_OUTPUT]
    api = AirflowApi(ui_url, timeout=30)
    wait_until(api.health, what=f"{ui_url} to answer /api/v2/monitor/health", timeout=15 * 60, interval=10)
    with urllib.request.urlopen(f"{ui_url}/auth/login/", timeout=30) as page:
        assert page.status == 200
    secret = account.client("secretsmanager").get_secret_value(SecretId=outputs[ADMIN_SECRET_OUTPUT])
    api.login(ADMIN_USER, secret["SecretString"])  # never printed
    return api


def run_sample_dag(api: Any) -> str:
    """sample_dag, once parsed: unpaused, triggered, and successful; its run id."""
    wait_until(lambda: api.dag(DAG_ID), what=f"{DAG_ID} to be parsed", timeout=10 * 60, interval=10)
    api.unpause(DAG_ID)
    run_id = str(api.trigger(DAG_ID))
    state = wait_until(
        lambda: finished(api.dag_run(DAG_ID, run_id)),
        what=f"{DAG_ID} run {run_id}",
        timeout=40 * 60,
        interval=15,
    )
    states = {ti["task_id"]: ti["state"] for ti in api.task_instances(DAG_ID, run_id)}
    assert state == "success", f"{DAG_ID} ended {state}: {states}"
    return run_id


def read_one_task_log(api: Any, run_id: str) -> None:
    """The first task's log, as the UI reads it (remote logs in CloudWatch, through the api-server)."""
    instances = {ti["task_id"]: ti for ti in api.task_instances(DAG_ID, run_id)}
    first = instances["start_process"]
    text = log_text(api.task_log(DAG_ID, run_id, "start_process", int(first["try_number"])))
    assert text.strip(), "start_process's log is empty"
    assert "Could not read" not in text, text[-2000:]


def destroy(account: Account, project: Path, kept: Kept) -> list[str]:
    farflow("destroy", "--project", str(project), "--yes", environment=account.environment, cwd=project)
    return remove_kept(kept, account.client("s3"), account.client("rds"))


@pytest.mark.timeout(SMOKE_TIMEOUT)
def test_deploy_log_in_run_sample_dag_read_a_task_log_destroy(
    account: Account, tmp_path_factory: pytest.TempPathFactory
) -> None:
    project = tmp_path_factory.mktemp("aws-smoke") / "project"
    name = stack_name()
    farflow("init", str(project), environment=account.environment, cwd=project.parent)
    configure(project, name, account.region)
    bootstrap_if_needed(account, project)
    kept = Kept((), ())
    try:
        outputs = deploy_sample_project(account, project)
        kept = kept_resources(account.client("cloudformation"), name)
        api = log_in_through_the_ui(account, outputs)
        run_id = run_sample_dag(api)
        read_one_task_log(api, run_id)
    finally:
        if not kept.buckets:  # the deploy failed part way: what exists of the stack may still keep some
            try:
                kept = kept_resources(account.client("cloudformation"), name)
            except ClientError:  # no stack: nothing kept
                kept = Kept((), ())
        print("removed after destroy:", destroy(account, project, kept))
