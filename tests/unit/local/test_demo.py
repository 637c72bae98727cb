"""The demo's pure parts: where it writes, how it words import errors and progress."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from farflow.local.demo import (
    DagImportError,
    describe_tasks,
    fresh_demo_project,
    import_error_message,
    wait_for_dag,
)
from farflow.local.home import farflow_home


def test_farflow_home_defaults_to_the_users_folder() -> None:
    assert farflow_home({"FARFLOW_HOME": "/tmp/ff"}) == Path("/tmp/ff")
    assert farflow_home({}) == Path("~/.farflow").expanduser()


def test_fresh_demo_project_replaces_the_previous_one(tmp_path: Path) -> None:
    project = fresh_demo_project(tmp_path)
    (project / "dags/leftover.py").write_text("x")
    project = fresh_demo_project(tmp_path)
    assert project == tmp_path / "demo"
    assert not (project / "dags/leftover.py").exists()
    assert (project / "dags/sample_dag.py").is_file()


def test_import_error_message_names_the_file_and_quotes_the_error() -> None:
    errors = [
        {"filename": "/p/dags/other.py", "stack_trace": "boom"},
        {"filename": "/p/dags/sample_dag.py", "stack_trace": "Traceback\n  line\nNameError: name 'x'"},
    ]
    message = import_error_message(errors, "sample_dag", "sample_dag.py")
    assert message is not None
    assert "sample_dag.py" in message
    assert "NameError: name 'x'" in message
    assert "other.py" not in message
    assert "Fix the file" in message
    assert import_error_message(errors[:1], "sample_dag", "sample_dag.py") is None


def test_describe_tasks_asks_ecs_in_batches_of_100() -> None:
    class Ecs:
        calls: list[int] = []

        def describe_tasks(self, cluster: str, tasks: list[str]) -> dict[str, list[dict[str, str]]]:
            self.calls.append(len(tasks))
            return {"tasks": [{"taskArn": arn} for arn in tasks]}

    ecs = Ecs()
    arns = [f"arn:{index}" for index in range(250)]
    assert [task["taskArn"] for task in describe_tasks(ecs, "farflow", arns)] == arns
    assert ecs.calls == [100, 100, 50]


def test_import_error_message_without_a_dag_id_names_every_file() -> None:
    message = import_error_message(
        [{"filename": "/p/dags/a.py", "stack_trace": "[x] SyntaxError"}], None, None
    )
    assert message is not None
    assert message.startswith("A DAG file failed to import")
    assert "/p/dags/a.py" in message
    assert "[x] SyntaxError" in message


class RecordsApi:
    """The api-server's answers as farflow reads them: DAG records (stale included) and import errors."""

    def __init__(self, dags: list[dict[str, object]], errors: list[dict[str, object]]) -> None:
        self._dags, self._errors = dags, errors

    def dag(self, dag_id: str) -> dict[str, object] | None:
        return next((d for d in self._dags if d["dag_id"] == dag_id), None)

    def dags(self) -> list[dict[str, object]]:
        return self._dags

    def import_errors(self) -> list[dict[str, object]]:
        return self._errors


def _dags_folder(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    for name, dag_id in files.items():
        (folder / f"{name}.py").write_text(f"from airflow.sdk import DAG\nDAG(dag_id={dag_id!r})\n")
        os.utime(folder / f"{name}.py", (1_000_000_000, 1_000_000_000))  # 2001; every parse is later
    return folder


LATER = "2026-01-01T00:00:00Z"


def test_wait_for_dag_quotes_the_import_error_of_a_dag_that_loaded_before(tmp_path: Path) -> None:
    folder = _dags_folder(tmp_path, etl="etl")
    api = RecordsApi(
        [
            {
                "dag_id": "etl",
                "relative_fileloc": "etl.py",
                "is_stale": True,
                "has_import_errors": True,
                "last_parsed_time": "2000-01-01T00:00:00Z",
            }
        ],
        [{"filename": "etl.py", "timestamp": LATER, "stack_trace": "Traceback\nNameError: name 'x'"}],
    )
    with pytest.raises(DagImportError, match="DAG 'etl' failed to import") as caught:
        wait_for_dag(api, "etl", None, dags_folder=folder, timeout=5)  # type: ignore[arg-type]
    assert "NameError: name 'x'" in str(caught.value)


def test_wait_for_dag_fails_fast_on_a_mistyped_id_listing_the_dags_there(tmp_path: Path) -> None:
    folder = _dags_folder(tmp_path, sample_dag="sample_dag", broken="broken")
    api = RecordsApi(
        [{"dag_id": "sample_dag", "relative_fileloc": "sample_dag.py", "last_parsed_time": LATER}],
        [{"filename": "broken.py", "timestamp": LATER, "stack_trace": "SyntaxError: unrelated"}],
    )
    with pytest.raises(DagImportError) as caught:
        wait_for_dag(api, "sampel_dag", None, dags_folder=folder, timeout=60)  # type: ignore[arg-type]
    assert str(caught.value).startswith("No DAG 'sampel_dag'")  # decided, not timed out
    assert "Did you mean 'sample_dag'?" in str(caught.value)
    assert "SyntaxError: unrelated" not in str(caught.value)


def test_wait_for_dag_names_the_files_airflow_has_not_reported_on_when_it_times_out(tmp_path: Path) -> None:
    folder = _dags_folder(tmp_path, sample_dag="sample_dag", helpers="not_a_dag")
    api = RecordsApi(
        [{"dag_id": "sample_dag", "relative_fileloc": "sample_dag.py", "last_parsed_time": LATER}], []
    )
    with pytest.raises(DagImportError) as caught:
        wait_for_dag(api, "sampel_dag", None, dags_folder=folder, timeout=0)  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith("DAG 'sampel_dag' did not appear within 0s")
    assert f"reported nothing on {folder / 'helpers.py'}" in message
    assert "Did you mean 'sample_dag'?" in message
