"""The state folder: secrets generated once, kept private, and reused by every process and run."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from farflow.local.state import StateDir, load_or_create_secrets


def test_secrets_are_generated_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    first = load_or_create_secrets(path)
    second = load_or_create_secrets(path)
    assert first == second
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len({first.jwt_secret, first.secret_key, first.fernet_key, first.admin_password}) == 4
    assert first.jwt_secret not in repr(first)


def test_missing_secrets_are_filled_in_and_kept_ones_stay(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({"admin_password": "chosen"}))
    secrets = load_or_create_secrets(path)
    assert secrets.admin_password == "chosen"
    assert json.loads(path.read_text())["jwt_secret"] == secrets.jwt_secret


def test_unreadable_secrets_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match=r"secrets\.json.*Delete it"):
        load_or_create_secrets(path)


def test_prepare_writes_the_password_file_and_a_placeholder_config(tmp_path: Path) -> None:
    state = StateDir.for_project(tmp_path)
    secrets = state.prepare()
    assert state.root == tmp_path / ".farflow"
    assert json.loads(state.passwords_file.read_text()) == {"admin": secrets.admin_password}
    assert stat.S_IMODE(state.passwords_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.root.stat().st_mode) == 0o700
    assert secrets.fernet_key not in state.airflow_config.read_text()
    for folder in (state.logs, state.task_logs, state.airflow_home):
        assert folder.is_dir()


def test_the_state_folder_and_the_logs_in_it_are_private(tmp_path: Path) -> None:
    """docs/local.md: folders 0700, files 0600, Airflow's own task logs included; even under a umask
    that would let everyone read them, and for a folder an older farflow left open."""
    import os

    from farflow.local import component_processes
    from farflow.local.local_only import home_settings
    from tests.support.layouts import example_layout

    state = StateDir.for_project(tmp_path)
    state.logs.mkdir(parents=True, mode=0o755)
    old = os.umask(0o022)
    try:
        state.prepare()
        component_processes.run("echo", ["echo", "hello"], {}, state.logs / "echo.log", timeout=30)
    finally:
        os.umask(old)
    for folder in (state.logs, state.task_logs, state.airflow_home):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for file in (state.logs / "echo.log", state.airflow_config, state.secrets_file, state.passwords_file):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    assert (state.logs / "echo.log").read_text() == "hello\n"
    settings = home_settings(example_layout(tmp_path))
    assert settings["AIRFLOW__LOGGING__FILE_TASK_HANDLER_NEW_FOLDER_PERMISSIONS"] == "0o700"
    assert settings["AIRFLOW__LOGGING__FILE_TASK_HANDLER_NEW_FILE_PERMISSIONS"] == "0o600"
