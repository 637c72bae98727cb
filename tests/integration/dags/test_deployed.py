"""The deployed stack's side, against moto: `farflow deploy` copies dags/ into the bucket its outputs
name, and `farflow dags push` finds the bucket from the stack's outputs, or names the fix in one line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from farflow.dags.after_deploy import push_after_deploy
from farflow.dags.push import PushError
from farflow.dags.targets import deployed_target
from farflow.deploy.outputs import DAGS_BUCKET_OUTPUT
from farflow.scaffold import init_project

REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    init_project(folder)
    return folder


def _stack(outputs: dict[str, Any]) -> None:
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="farflow", TemplateBody=json.dumps(template)
    )


def test_deploy_copies_dags_into_the_bucket_of_its_outputs(aws: None, project: Path) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="the-dags")
    outputs = project / "outputs.json"
    outputs.write_text(json.dumps({"farflow": {DAGS_BUCKET_OUTPUT: "the-dags", "UiUrl": "http://x"}}))
    [line] = push_after_deploy(project, outputs, REGION, s3)
    assert "s3://the-dags (1 new, 0 changed, 0 deleted, 0 unchanged)" in line
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="the-dags")["Contents"]] == ["sample_dag.py"]


def test_no_stack_or_a_stack_without_the_bucket_output_names_the_fix(aws: None, project: Path) -> None:
    with pytest.raises(PushError, match=r"There is no stack farflow: deploy it first with `farflow deploy`"):
        deployed_target(project)
    _stack({"UiUrl": "http://x"})
    with pytest.raises(PushError, match=rf"no {DAGS_BUCKET_OUTPUT} output.*Run `farflow deploy"):
        deployed_target(project)


def test_an_unreachable_ui_is_refused_in_one_line_after_the_outputs_are_read(
    aws: None, project: Path
) -> None:
    secret = boto3.client("secretsmanager", region_name=REGION).create_secret(Name="admin", SecretString="pw")
    _stack({DAGS_BUCKET_OUTPUT: "b", "UiUrl": "http://127.0.0.1:9", "AdminPasswordSecretArn": secret["ARN"]})
    with pytest.raises(
        PushError, match=r"Cannot reach the Airflow API at http://127.0.0.1:9 .*allowed_cidrs"
    ):
        deployed_target(project, insecure_http=True)


def test_a_plain_http_ui_is_refused_before_the_password_leaves_secrets_manager(
    aws: None, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The login would send the admin password in cleartext; without --insecure-http nothing is read."""
    _stack({DAGS_BUCKET_OUTPUT: "b", "UiUrl": "http://127.0.0.1:9", "AdminPasswordSecretArn": "missing"})
    with pytest.raises(PushError) as refused:
        deployed_target(project)
    line = str(refused.value)
    assert "\n" not in line
    assert "http://127.0.0.1:9" in line
    assert "[load_balancer] certificate_arn" in line and "domain_name" in line
    assert "--insecure-http" in line


def test_the_cli_refuses_plain_http_and_takes_insecure_http(aws: None, project: Path) -> None:
    from typer.testing import CliRunner

    from farflow.cli import app

    secret = boto3.client("secretsmanager", region_name=REGION).create_secret(Name="admin", SecretString="pw")
    _stack({DAGS_BUCKET_OUTPUT: "b", "UiUrl": "http://127.0.0.1:9", "AdminPasswordSecretArn": secret["ARN"]})
    refused = CliRunner().invoke(app, ["dags", "push", "-p", str(project)], env={"AWS_REGION": REGION})
    assert refused.exit_code == 1
    assert "certificate_arn" in refused.output and "Traceback" not in refused.output
    allowed = CliRunner().invoke(
        app, ["dags", "push", "-p", str(project), "--insecure-http"], env={"AWS_REGION": REGION}
    )
    assert allowed.exit_code == 1
    assert "Cannot reach the Airflow API at http://127.0.0.1:9" in allowed.output


def test_farflow_deploy_copies_dags_after_the_toolkit(
    aws: None, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from farflow.cli import app
    from tests.unit.test_cli_deploy import REGION as DEPLOY_REGION
    from tests.unit.test_cli_deploy import Toolkit, leave_region_to_the_profile, ready_probes, use

    leave_region_to_the_profile(project)
    s3 = boto3.client("s3", region_name=DEPLOY_REGION)
    s3.create_bucket(Bucket="stack-dags", CreateBucketConfiguration={"LocationConstraint": DEPLOY_REGION})
    use(monkeypatch, ready_probes(), Toolkit(outputs={"farflow": {DAGS_BUCKET_OUTPUT: "stack-dags"}}))
    result = CliRunner().invoke(app, ["deploy", "--project", str(project), "--yes"])
    assert result.exit_code == 0, result.output
    assert "dags/ copied to s3://stack-dags (1 new, 0 changed, 0 deleted, 0 unchanged)" in result.output
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="stack-dags")["Contents"]] == ["sample_dag.py"]
