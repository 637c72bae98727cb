"""The runner: its wait for a stack that another farflow is still starting, and what `local up` prints."""

from __future__ import annotations

import io
import signal
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from farflow.cli import app
from farflow.local import runner, stack_record
from farflow.local.runner import _settled
from farflow.local.signals import Interrupted
from farflow.local.stack_record import StackRecord
from farflow.local.state import StateDir


def test_a_starting_stack_is_waited_for_until_it_is_up_or_gone(tmp_path: Path) -> None:
    state = StateDir.for_project(tmp_path)
    starting = StackRecord.for_this_process(tmp_path, 8080)
    stack_record.claim(state, starting)
    assert _settled(state) is None
    up = starting.with_(phase="up")
    stack_record.update(state, up)
    settled = _settled(state)
    assert settled is not None and settled.record == up
    stack_record.release(state)
    settled = _settled(state)
    assert settled is not None and settled.record is None


class _Stop(Exception):
    pass


class _ReparsingStack:
    """A stack whose dag-processor parses the same broken file again between every look (each parse
    rewrites the import error's timestamp), and then one that imports again and breaks once more."""

    def __init__(self, answers: list[list[dict[str, str]]]) -> None:
        self.answers = answers

    def api(self) -> _ReparsingStack:
        return self

    def check(self) -> None:
        if not self.answers:
            raise _Stop

    def import_errors(self) -> list[dict[str, str]]:
        return self.answers.pop(0)


def _error(stamp: int, trace: str = "Traceback\nNameError: name 'x'") -> dict[str, str]:
    return {"filename": "etl.py", "timestamp": f"2026-01-01T00:00:{stamp:02d}Z", "stack_trace": trace}


def test_local_up_prints_an_unchanged_import_error_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "WATCH_INTERVAL", 0)
    output = io.StringIO()
    console = Console(file=output, width=200)
    changed = "Traceback\nSyntaxError: other"
    answers = [[_error(1)], [_error(2)], [_error(3)], [_error(4, changed)], [], [_error(5, changed)]]
    with pytest.raises(_Stop):
        runner._watch(console, _ReparsingStack(answers))  # type: ignore[arg-type]
    text = output.getvalue()
    assert text.count("NameError: name 'x'") == 1  # not once per parse
    assert text.count("SyntaxError: other") == 2  # a changed error shows, and one that comes back


class _InterruptedStack:
    """A stack whose start is cut short by a signal before it claimed the project."""

    record = None

    def __init__(self, signum: int) -> None:
        self.signum = signum

    def start(self) -> None:
        raise Interrupted(self.signum)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 0)])
def test_local_up_exits_130_after_ctrl_c_and_0_after_sigterm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int, code: int
) -> None:
    (tmp_path / "dags").mkdir()
    monkeypatch.setattr(runner, "_new_stack", lambda *_args: _InterruptedStack(signum))
    result = CliRunner().invoke(app, ["local", "up", "-p", str(tmp_path)])
    assert result.exit_code == code, result.output
    assert f"Received {signal.Signals(signum).name}." in result.output
