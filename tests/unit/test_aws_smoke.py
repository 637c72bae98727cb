"""The real-account smoke test, checked offline: it imports, its preflight names what is missing, its
setup and clean-up steps do what they say (S3 and RDS through moto)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from farflow.deploy.config_file import load
from farflow.deploy.preflight import ProbeError
from farflow.scaffold import init_project
from tests.aws import smoke
from tests.aws.smoke import Kept, SmokeProbes
from tests.support.polling import wait_until

ROOT = Path(__file__).parents[2]


def unasked() -> SmokeProbes:
    def fail(*_: object) -> str:
        raise AssertionError("the preflight asked AWS or Docker before the opt-in")

    return SmokeProbes(account=fail, docker=fail)


def test_the_smoke_test_module_imports() -> None:
    import tests.aws.test_smoke as module

    assert module.test_deploy_log_in_run_sample_dag_read_a_task_log_destroy


def test_without_the_opt_in_it_says_how_to_run_and_asks_nothing() -> None:
    [problem] = smoke.missing({}, "us-east-1", unasked())
    assert "FARFLOW_AWS_SMOKE=1 is not set" in problem
    assert smoke.HOW_TO_RUN in problem
    assert "credentials" in problem and "Docker" in problem


def test_opted_in_it_lists_every_missing_piece() -> None:
    def no_credentials(region: str) -> str:
        raise ProbeError(f"Unable to locate credentials in {region}")

    probes = SmokeProbes(account=no_credentials, docker=lambda: "`docker` is not installed (not on PATH)")
    credentials, docker = smoke.missing({"FARFLOW_AWS_SMOKE": "1"}, "eu-west-1", probes)
    assert (
        "No working AWS credentials in eu-west-1 (Unable to locate credentials in eu-west-1)" in credentials
    )
    assert "AWS_PROFILE" in credentials
    assert "Docker does not answer (`docker` is not installed (not on PATH))" in docker
    assert smoke.skip_reason([credentials, docker]).startswith("AWS smoke test not run: No working")


def test_opted_in_with_everything_there_is_nothing_missing() -> None:
    probes = SmokeProbes(account=lambda region: "123456789012", docker=lambda: None)
    assert smoke.missing({"FARFLOW_AWS_SMOKE": "1"}, "us-east-1", probes) == []


def test_the_suites_placeholder_keys_are_dropped_and_real_ones_kept() -> None:
    placeholders = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "HOME": "/h"}
    assert smoke.aws_environment(placeholders) == {"HOME": "/h"}
    real = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "testing"}
    assert smoke.aws_environment(real) == real
    assert smoke.smoke_region({}) == "us-east-1"
    assert smoke.smoke_region({"AWS_REGION": "eu-central-1"}) == "eu-central-1"


def test_pytest_skips_it_saying_what_is_missing() -> None:
    environment = {key: value for key, value in os.environ.items() if key != "FARFLOW_AWS_SMOKE"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/aws", "-rs", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout
    assert "AWS smoke test not run: FARFLOW_AWS_SMOKE=1 is not set" in done.stdout


def test_configure_makes_the_sample_project_destroyable(tmp_path: Path) -> None:
    project = tmp_path / "project"
    init_project(project)
    name = smoke.stack_name()
    smoke.configure(project, name, "eu-west-1")
    config = load(project)
    assert (config.project.name, config.project.region) == (name, "eu-west-1")
    assert config.database.deletion_protection is False
    assert len(name) <= 20


def test_waiting_returns_the_first_answer_and_gives_up_at_its_deadline() -> None:
    """The smoke test's waits go through the tests' one polling helper."""
    answers = iter([None, None, "ready"])
    assert wait_until(lambda: next(answers), what="an answer", timeout=60, interval=0) == "ready"
    with pytest.raises(AssertionError, match="timed out after 0 s waiting for nothing"):
        wait_until(lambda: None, what="nothing", timeout=0, interval=0)


def test_a_run_is_finished_only_in_a_final_state_and_logs_read_as_text() -> None:
    assert smoke.finished({"state": "running"}) is None
    assert smoke.finished({"state": "failed"}) == "failed"
    assert smoke.log_text({"content": [{"event": "one"}, {"event": "two"}]}) == "one\ntwo"
    assert smoke.log_text({"content": "plain"}) == "plain"


@mock_aws
def test_what_the_stack_keeps_is_removed_after_the_destroy() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    rds = boto3.client("rds", region_name="us-east-1")
    s3.create_bucket(Bucket="kept-access-logs")
    s3.put_object(Bucket="kept-access-logs", Key="alb/one.log.gz", Body=b"log")
    rds.create_db_instance(
        DBInstanceIdentifier="kept-db", DBInstanceClass="db.t4g.small", Engine="postgres", AllocatedStorage=20
    )
    rds.create_db_snapshot(DBInstanceIdentifier="kept-db", DBSnapshotIdentifier="kept-db-final")
    removed = smoke.remove_kept(Kept(("kept-access-logs", "gone-already"), ("kept-db",)), s3, rds)
    assert removed == ["bucket kept-access-logs", "snapshot kept-db-final"]
    assert s3.list_buckets()["Buckets"] == []
    assert rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"] == []
