"""A workload token's expiry, read from tokens Airflow's own generator signs as the scheduler does."""

from __future__ import annotations

import time

import pytest
from airflow.api_fastapi.auth.tokens import JWTGenerator
from airflow.executors.workloads.base import BaseWorkloadSchema

from farflow.workload.token import expires_at


def test_a_workload_token_expires_task_queued_timeout_after_it_is_signed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Airflow 3.3 signs workload tokens valid for [scheduler] task_queued_timeout (executors/workloads/base.py)."""
    monkeypatch.setenv("AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT", "321")
    generator = JWTGenerator(valid_for=600, audience="urn:airflow.apache.org:task", secret_key="k" * 64)
    before = time.time()
    token = BaseWorkloadSchema.generate_token("0195-ti-id", generator)
    expiry = expires_at(token)
    assert expiry is not None
    assert int(before) + 321 <= expiry <= time.time() + 321


@pytest.mark.parametrize(
    "token",
    ["", "test-workload-token", "a.b.c", "a.e30.c", "a.eyJleHAiOiAidG9tb3Jyb3cifQ.c", "a.WzFd.c"],
)
def test_text_that_is_not_a_jwt_with_a_numeric_expiry_has_none(token: str) -> None:
    assert expires_at(token) is None
