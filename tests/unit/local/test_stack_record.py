"""The running stack's record: claimed once per project, private, stale when its process is gone."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from farflow.local import stack_record
from farflow.local.stack_record import StackAlreadyUp, StackRecord
from farflow.local.state import StateDir
from farflow.local.supervisor import ComponentState


def test_a_record_round_trips_privately_and_is_removed_by_its_owner(tmp_path: Path) -> None:
    state = StateDir.for_project(tmp_path)
    record = StackRecord.for_this_process(tmp_path, 8080)
    stack_record.claim(state, record)
    assert stat.S_IMODE(state.stack_file.stat().st_mode) == 0o600
    up = record.with_(
        phase="up",
        subnets=("subnet-1",),
        components={"scheduler": ComponentState(123, "running", restarts=2, last_exit_code=-9)},
    )
    stack_record.update(state, up)
    assert stack_record.read(state) == up
    assert stack_record.running(state) == up
    assert stat.S_IMODE(state.stack_file.stat().st_mode) == 0o600
    stack_record.release(state)
    assert not state.stack_file.exists()


def test_a_second_claim_names_the_running_stack(tmp_path: Path) -> None:
    state = StateDir.for_project(tmp_path)
    stack_record.claim(
        state, StackRecord.for_this_process(tmp_path, 8080).with_(ui_url="http://localhost:8080")
    )
    with pytest.raises(StackAlreadyUp, match=r"already up for .*http://localhost:8080.*farflow local status"):
        stack_record.claim(state, StackRecord.for_this_process(tmp_path, 8081))


def test_a_killed_stacks_record_is_stale_and_replaced(tmp_path: Path) -> None:
    state = StateDir.for_project(tmp_path)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    ghost = StackRecord(pid=int(dead.stdout), pid_started=1.0, project=str(tmp_path), api_port=8080)
    state.root.mkdir()
    stack_record.update(state, ghost)
    assert stack_record.read(state) == ghost
    assert stack_record.running(state) is None
    mine = StackRecord.for_this_process(tmp_path, 8080)
    stack_record.claim(state, mine)
    assert stack_record.read(state) == mine


def test_a_reused_pid_does_not_count_as_the_stack(tmp_path: Path) -> None:
    mine = StackRecord.for_this_process(tmp_path, 8080)
    assert stack_record.is_alive(mine)
    assert not stack_record.is_alive(mine.with_(pid_started=mine.pid_started - 3600))


def test_an_unreadable_record_is_no_record(tmp_path: Path) -> None:
    state = StateDir.for_project(tmp_path)
    state.root.mkdir()
    state.stack_file.write_text("{half")
    assert stack_record.read(state) is None
