"""The push's steps in order, against moto's S3 and a stand-in api-server that parses on request: the
nudge, the wait, the import errors, what needs a deploy; an api-server that does not answer stops the
push before anything is written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from farflow.dags.bucket import BundleBucket
from farflow.dags.push import PushError, Target, push
from farflow.local.seed import create_dags_bucket
from farflow.scaffold import init_project
from farflow.spec import dag_bundle


class ParsingApi:
    """Answers like Airflow's REST API for one bundle; parses the bucket when asked (`parseDagFile`)."""

    def __init__(self, s3: Any, bucket: str, errors: dict[str, str]) -> None:
        self.s3, self.bucket, self.errors = s3, bucket, errors
        self.dags: list[dict[str, Any]] = []
        self.import_errors: list[dict[str, Any]] = []
        self.calls: list[tuple[str, str]] = []

    def parse(self) -> None:
        now = datetime.now(timezone.utc).isoformat()
        keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", [])]
        self.dags = [
            {
                "dag_id": key.removesuffix(".py"),
                "relative_fileloc": key,
                "last_parsed_time": now,
                "bundle_name": dag_bundle.BUNDLE_NAME,
                "file_token": f"token-{key}",
            }
            for key in keys
            if key.endswith(".py") and key not in self.errors
        ]
        self.import_errors = [
            {"filename": key, "timestamp": now, "stack_trace": trace, "bundle_name": dag_bundle.BUNDLE_NAME}
            for key, trace in self.errors.items()
            if key in keys
        ]

    def request(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        self.calls.append((method, path))
        if path.startswith("/api/v2/parseDagFile/"):
            self.parse()
            return None
        if path == "/api/v2/dags":
            return {"dags": self.dags, "total_entries": len(self.dags)}
        return {"import_errors": self.import_errors, "total_entries": len(self.import_errors)}


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("s3", region_name="us-east-1")


def test_a_push_is_nudged_waited_for_and_its_import_errors_shown(s3: Any, tmp_path: Path) -> None:
    project = tmp_path / "p"
    init_project(project)
    bucket = create_dags_bucket(s3)
    trace = 'Traceback\n  File "broken.py", line 1\nSyntaxError: invalid syntax'
    api = ParsingApi(s3, bucket, {"broken.py": trace})
    from farflow.dags.sync import push_folder

    push_folder(s3, bucket, project / "dags")
    api.parse()
    (project / "dags" / "broken.py").write_text("from airflow.sdk import DAG\nDAG(\n")
    (project / "requirements.txt").write_text("pandas\n")
    lines: list[str] = []
    target = Target(BundleBucket(s3, bucket), api, "the bucket", deployed_inputs={"Dockerfile": "x"})  # type: ignore[arg-type]
    outcome = push(target, project, lines.append, timeout=10)
    assert ("PUT", "/api/v2/parseDagFile/token-sample_dag.py") in api.calls
    assert not outcome.unparsed and not outcome.ok
    assert [error.fileloc for error in outcome.errors] == ["broken.py"]
    assert "broken.py:" in lines and "    SyntaxError: invalid syntax" in lines
    assert {"Dockerfile", "requirements.txt"} <= set(outcome.needs_deploy)


def test_an_api_that_does_not_answer_stops_the_push_before_any_write(s3: Any, tmp_path: Path) -> None:
    project = tmp_path / "p"
    init_project(project)
    bucket = create_dags_bucket(s3)

    class Down:
        def request(self, *_args: Any, **_query: Any) -> Any:
            raise ConnectionRefusedError("refused")

    with pytest.raises(PushError, match=r"did not answer .*nothing was pushed"):
        push(Target(BundleBucket(s3, bucket), Down(), "the bucket"), project, print, timeout=1)  # type: ignore[arg-type]
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
