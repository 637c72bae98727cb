"""The runner's wait for a stack that another farflow is still starting."""

from __future__ import annotations

from pathlib import Path

from farflow.local import stack_record
from farflow.local.runner import _settled
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
