"""Bad input at the command line: one clear message naming the fix, a non-zero exit, no traceback."""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path

from typer.testing import CliRunner

from farflow.cli import app
from farflow.local.ports import free_port

runner = CliRunner()


def test_init_writes_and_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    assert "farflow local up --project" in result.output
    again = runner.invoke(app, ["init", str(tmp_path / "p")])
    assert again.exit_code == 2
    assert "not empty" in again.output
    assert "--force" in again.output
    assert runner.invoke(app, ["init", str(tmp_path / "p"), "--force"]).exit_code == 0


def test_local_up_names_a_missing_project(tmp_path: Path) -> None:
    result = runner.invoke(app, ["local", "up", "--project", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert "farflow init" in result.output
    assert "Traceback" not in result.output


def test_local_up_names_a_folder_without_dags(tmp_path: Path) -> None:
    result = runner.invoke(app, ["local", "up", "--project", str(tmp_path)])
    assert result.exit_code == 1
    assert "no dags/ folder" in result.output


def test_local_up_names_a_port_in_use(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = runner.invoke(app, ["local", "up", "--project", str(tmp_path), "--port", str(port)])
    assert result.exit_code == 1
    assert f"Port {port}" in result.output
    assert "already in use" in result.output
    assert not (tmp_path / ".farflow").exists()  # refused before writing anything


def test_local_up_names_an_unsupported_database(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    port = str(free_port())
    result = runner.invoke(
        app, ["local", "up", "--project", str(tmp_path), "--port", port, "--database-url", "mysql://x/y"]
    )
    assert result.exit_code == 1
    assert "not supported locally" in result.output
    assert "--database-url" in result.output


def test_demo_names_a_missing_project(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--project", str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_error_messages_keep_square_brackets(tmp_path: Path) -> None:
    (tmp_path / "[info] project").mkdir()
    result = runner.invoke(app, ["local", "up", "--project", str(tmp_path / "[info] project")])
    assert result.exit_code == 1
    assert "[info] project has no dags/ folder" in result.output


def test_local_up_names_an_unusable_postgres_before_writing_anything(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    url = "postgresql+psycopg2://postgres@127.0.0.1:1/farflow_nowhere"
    result = runner.invoke(
        app, ["local", "up", "--project", str(tmp_path), "--port", str(free_port()), "--database-url", url]
    )
    assert result.exit_code == 1
    # Without the async driver farflow says so; with it, the connection itself fails.
    expected = "asyncpg" if importlib.util.find_spec("asyncpg") is None else "Cannot connect"
    assert expected in result.output
    assert not (tmp_path / ".farflow").exists()


def test_local_run_refuses_a_conf_that_is_not_a_json_object(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    for conf, expected in (("{oops", "not valid JSON"), ("[1, 2]", "must be a JSON object")):
        result = runner.invoke(app, ["local", "run", "sample_dag", "-p", str(tmp_path), "--conf", conf])
        assert result.exit_code == 2
        assert expected in result.output
    assert not (tmp_path / ".farflow").exists()


def test_local_status_without_a_stack_exits_1(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    result = runner.invoke(app, ["local", "status", "-p", str(tmp_path)])
    assert result.exit_code == 1
    assert "No local stack is up" in result.output
    assert "farflow local up --project" in result.output


def test_local_airflow_needs_a_command(tmp_path: Path) -> None:
    result = runner.invoke(app, ["local", "airflow", "-p", str(tmp_path)])
    assert result.exit_code == 2
    assert "dags list" in result.output


def test_a_second_stack_for_a_project_is_refused_with_where_the_first_is(tmp_path: Path) -> None:
    from farflow.local import stack_record
    from farflow.local.stack_record import StackRecord
    from farflow.local.state import StateDir

    project = tmp_path / "demo"  # also the demo's project under FARFLOW_HOME=tmp_path
    assert runner.invoke(app, ["init", str(project)]).exit_code == 0
    state = StateDir.for_project(project)
    # This test process plays the running stack.
    stack_record.claim(
        state, StackRecord.for_this_process(project, 8080).with_(ui_url="http://localhost:8080")
    )
    try:
        up = runner.invoke(app, ["local", "up", "-p", str(project), "--port", str(free_port())])
        # `farflow demo` would replace the folder of a live stack's project: refused too.
        demo = runner.invoke(app, ["demo"], env={"FARFLOW_HOME": str(tmp_path)})
        for result in (up, demo):
            assert result.exit_code == 1, result.output
            assert "already up" in result.output
            assert "http://localhost:8080" in result.output
            assert "Traceback" not in result.output
        assert (project / "dags" / "sample_dag.py").is_file()
    finally:
        stack_record.release(state)


def test_local_up_on_sqlite_warns_that_it_holds_only_light_work(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    with socket.socket() as holder:  # the port is taken, so nothing starts after the warning
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        url = f"sqlite:///{tmp_path}/airflow.db"
        result = runner.invoke(
            app, ["local", "up", "-p", str(tmp_path), "--port", str(port), "--database-url", url]
        )
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "warning: SQLite holds only light work" in text
    assert "database is locked" in text
    assert "Leave out --database-url to use the embedded PostgreSQL" in text
    assert f"Port {port}" in text
