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
