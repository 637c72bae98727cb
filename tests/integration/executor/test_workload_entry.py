"""`python -m farflow.workload` against the local endpoint's S3: fetch, delete, run, and each refusal."""

from __future__ import annotations

import io
import subprocess
import sys
from typing import Any

import pytest
from airflow.api_fastapi.auth.tokens import JWTGenerator

from farflow.workload.entry import main
from farflow.workload.exits import Exit
from farflow.workload.reference import parse_store_url
from tests.integration.executor.conftest import Seeded
from tests.support.workloads import FAKE_TOKEN, make_workload


@pytest.fixture
def store(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> Seeded:
    """The task's environment, as the endpoint gives it: its URL and keys standing in for the task role."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", seeded.url)
    return seeded


def put(seeded: Seeded, body: bytes, name: str = "t.json") -> str:
    location = parse_store_url(seeded.workload_store)
    key = f"{location.prefix}farflow-airflow/{name}"
    seeded.client("s3").put_object(Bucket=location.bucket, Key=key, Body=body)
    return location.reference(key)


def run_entry(reference: str, **kwargs: Any) -> tuple[int, str, list[Any]]:
    ran: list[Any] = []
    err = io.StringIO()
    code = main([reference], run=ran.append, stderr=err, **kwargs)
    return code, err.getvalue(), ran


def test_the_workload_is_fetched_deleted_and_run_exactly_as_written(store: Seeded) -> None:
    workload = make_workload("ok")
    reference = put(store, workload.model_dump_json().encode())
    code, err, [ran] = run_entry(reference)
    assert (code, err) == (0, "")
    assert ran == workload and ran.token == FAKE_TOKEN
    again, _, ran_again = run_entry(reference)  # deleted once fetched: a second start finds nothing
    assert (again, ran_again) == (Exit.MISSING, [])


def test_a_missing_object_exits_66_saying_it_does_not_exist(store: Seeded) -> None:
    reference = put(store, b"{}", "gone.json")
    store.client("s3").delete_object(
        Bucket=parse_store_url(store.workload_store).bucket, Key=reference.split("/", 3)[3]
    )
    code, err, ran = run_entry(reference)
    assert (code, ran) == (Exit.MISSING, [])
    assert f"{reference} does not exist" in err


def test_an_object_that_is_not_a_workload_exits_65_without_quoting_it(store: Seeded) -> None:
    reference = put(store, b'{"token": "' + FAKE_TOKEN.encode() + b'", "ti": 3}')
    code, err, ran = run_entry(reference)
    assert (code, ran) == (Exit.NOT_A_WORKLOAD, [])
    assert "failed validation" in err and FAKE_TOKEN not in err


def test_an_expired_token_exits_78_naming_the_setting_instead_of_a_403(store: Seeded) -> None:
    generator = JWTGenerator(valid_for=600, audience="urn:airflow.apache.org:task", secret_key="k" * 64)
    token = generator.generate(extras={"sub": "ti", "scope": "workload"}, valid_for=-60)
    reference = put(store, make_workload("late", token=token).model_dump_json().encode())
    code, err, ran = run_entry(reference)
    assert (code, ran) == (Exit.TOKEN_EXPIRED, [])
    assert "expired" in err and "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT" in err and token not in err


def test_an_unreachable_store_exits_69(store: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code, err, _ = run_entry(f"{store.workload_store}farflow-airflow/t.json")
    assert code == Exit.UNAVAILABLE and "failed" in err


@pytest.mark.parametrize(
    "argv",
    [[], ["s3://farflow-workloads/"], ["/tmp/workload.json"], ["s3://a/b", "s3://c/d"]],
    ids=["none", "no-key", "not-s3", "two"],
)
def test_the_command_line_without_one_object_url_exits_64(argv: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "farflow.workload", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == Exit.USAGE
    assert done.stderr.startswith("farflow.workload: ") and done.stdout == ""
