"""`farflow dags push` refuses what it cannot do in one line naming the fix, exit 1, no traceback."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from farflow.cli import app
from farflow.local import stack_record
from farflow.local.stack_record import StackRecord
from farflow.local.state import StateDir
from farflow.scaffold import init_project

runner = CliRunner()


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "p"
    init_project(project)
    return project


def test_local_without_a_stack_names_the_command_that_starts_one(tmp_path: Path) -> None:
    result = runner.invoke(app, ["dags", "push", "--local", "-p", str(_project(tmp_path))])
    assert result.exit_code == 1
    assert "No local stack is up" in result.output
    assert "farflow local up --dag-bundle" in result.output
    assert "Traceback" not in result.output


def test_local_on_a_stack_that_reads_dags_in_place_says_edits_are_live(tmp_path: Path) -> None:
    project = _project(tmp_path)
    state = StateDir.for_project(project)
    stack_record.claim(state, StackRecord.for_this_process(project.resolve(), 8080).with_(phase="up"))
    try:
        result = runner.invoke(app, ["dags", "push", "--local", "-p", str(project)])
    finally:
        stack_record.release(state)
    assert result.exit_code == 1
    assert "reads dags/ in place" in result.output
    assert "--dag-bundle" in result.output


def test_deployed_without_farflow_toml_names_the_file(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "farflow.toml").unlink()
    result = runner.invoke(app, ["dags", "push", "-p", str(project)])
    assert result.exit_code == 1
    assert "farflow.toml" in result.output
    assert "Traceback" not in result.output
