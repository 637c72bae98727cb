from __future__ import annotations

import json
import logging

import pytest

from farflow.executor.redaction import install_airflow_token_redaction, redact

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0aSJ9.c2lnbmF0dXJl"


def test_redacts_the_token_field_at_any_json_nesting() -> None:
    workload = json.dumps({"token": "plain-secret", "ti": {"task_id": "t"}})
    body = json.dumps({"overrides": {"containerOverrides": [{"command": ["--json-string", workload]}]}})
    for text in (workload, body, repr(body.encode())):
        cleaned = redact(text)
        assert "plain-secret" not in cleaned
        assert "task_id" in cleaned


def test_redacts_bare_jwts() -> None:
    assert TOKEN not in redact(f"Authorization: Bearer {TOKEN}")


def test_botocore_debug_logging_is_filtered(caplog: pytest.LogCaptureFixture) -> None:
    install_airflow_token_redaction()
    install_airflow_token_redaction()
    caplog.set_level(logging.DEBUG)
    logging.getLogger("botocore.endpoint").debug("params: %s", {"body": json.dumps({"token": "s3cr3t"})})
    assert "s3cr3t" not in caplog.text
    assert len([f for f in logging.getLogger("botocore.endpoint").filters]) == 1
