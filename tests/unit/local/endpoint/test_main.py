from __future__ import annotations

from pathlib import Path

import pytest

from farflow.local.endpoint.__main__ import main


def test_bad_fault_variable_names_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FARFLOW_FAULT_THROTTLE_RATE", "sometimes")
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2
    assert "FARFLOW_FAULT_THROTTLE_RATE is 'sometimes'" in capsys.readouterr().err


def test_project_must_be_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--project", str(tmp_path / "absent")])
    assert "is not a folder" in capsys.readouterr().err
