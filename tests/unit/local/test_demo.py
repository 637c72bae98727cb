"""The demo's pure parts: where it writes, how it words import errors and progress."""

from __future__ import annotations

from pathlib import Path

from farflow.local.demo import describe_tasks, fresh_demo_project, import_error_message
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
