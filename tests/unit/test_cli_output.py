"""What every command owes its user: one `error:` line on stderr naming the fix and a non-zero exit for
a mistake; results on stdout, unwrapped when written to a file; a traceback only for farflow's own bug."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from farflow import __version__
from farflow.cli import app
from farflow.terminal import BUG_EXIT_CODE

runner = CliRunner()


def one_error_line(result: object) -> str:
    """The single `error:` line a refused command printed, on stderr, with nothing on stdout."""
    stdout, stderr = result.stdout, result.stderr  # type: ignore[attr-defined]
    assert result.exit_code != 0  # type: ignore[attr-defined]
    assert "error:" not in stdout
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in stderr
    return lines[0]


def test_errors_go_to_stderr_and_stdout_stays_clean(tmp_path: Path) -> None:
    result = runner.invoke(app, ["local", "up", "--project", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "does not exist" in one_error_line(result)


def test_output_to_a_file_is_not_wrapped_at_80_columns(tmp_path: Path) -> None:
    target = tmp_path / ("a-project-folder-with-a-long-name-" * 3)
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    advice = [line for line in result.stdout.splitlines() if line.startswith("On AWS:")]
    assert len(advice) == 1 and len(advice[0]) > 80
    assert advice[0].endswith(f"farflow deploy --project {target}")
    refused = one_error_line(runner.invoke(app, ["init", str(target)]))
    assert len(refused) > 80 and refused.endswith(f"{Path('cdk.json')}.")


def test_version_option() -> None:
    for arguments in (["--version"], ["version"]):
        result = runner.invoke(app, arguments)
        assert result.exit_code == 0
        assert result.stdout == f"farflow {__version__}\n"


def test_a_bug_in_farflow_is_a_plain_traceback_and_a_line_saying_so(tmp_path: Path) -> None:
    """Run as the installed command runs: `app()` (CliRunner would bypass the handler)."""
    code = (
        "import farflow.scaffold, farflow.cli\n"
        "farflow.scaffold.init_project = lambda *args, **kwargs: {}['oops']\n"
        f"farflow.cli.app(['init', {str(tmp_path / 'p')!r}])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == BUG_EXIT_CODE
    assert done.stdout == ""
    assert done.stderr.startswith("Traceback (most recent call last):")
    assert "KeyError: 'oops'" in done.stderr
    assert "│" not in done.stderr  # not a boxed rich traceback, which a file would split
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: this is a bug in farflow {__version__}, not something you did wrong")


def test_init_into_a_path_it_cannot_create_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    line = one_error_line(runner.invoke(app, ["init", str(tmp_path / "file" / "project")]))
    assert f"Cannot write the project into {tmp_path / 'file' / 'project'}" in line
    assert "Not a directory" in line


def test_farflow_options_after_the_airflow_command_are_named_with_the_right_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # not a project: `-p` went to airflow, so farflow looked here
    result = runner.invoke(app, ["local", "airflow", "dags", "list", "-p", "my-project", "-o", "json"])
    line = one_error_line(result)
    assert "-p my-project comes after the airflow command" in line
    assert line.endswith("farflow local airflow -p my-project dags list -o json")
    assert "--force" not in line
    equals = one_error_line(runner.invoke(app, ["local", "airflow", "dags", "list", "--project=my-project"]))
    assert equals.endswith("farflow local airflow --project=my-project dags list")


def test_a_folder_that_is_not_a_project_is_never_told_to_init_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    line = one_error_line(runner.invoke(app, ["local", "airflow", "dags", "list"]))
    assert "no dags/ folder" in line and "--project" in line
    assert "--force" not in line


def test_a_bad_ecs_fargate_value_in_the_shell_is_one_line_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    monkeypatch.setenv("AIRFLOW__ECS_FARGATE__RUN_TASK_RATE", "fast")
    line = one_error_line(runner.invoke(app, ["local", "up", "--project", str(tmp_path), "--port", "0"]))
    assert "[ecs_fargate] run_task_rate (environment variable AIRFLOW__ECS_FARGATE__RUN_TASK_RATE)" in line
    assert "'fast'; use a number >= 0.01" in line and "unset it" in line
    assert not (tmp_path / ".farflow").exists()


def test_a_relative_sqlite_path_is_refused_with_the_absolute_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    monkeypatch.chdir(tmp_path)
    arguments = ["local", "up", "--project", ".", "--port", "0", "--database-url", "sqlite:///airflow.db"]
    line = one_error_line(runner.invoke(app, arguments))
    assert "sqlite:///airflow.db does not name an absolute file path" in line
    assert f"sqlite:///{tmp_path.resolve() / 'airflow.db'}" in line
    assert not (tmp_path / ".farflow").exists()
