"""When a push counts as parsed: judged on the API's timestamps against the push and the file's last parse."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from farflow.dags.parsing import (
    Expected,
    ParsedDag,
    ParseError,
    Snapshot,
    defines_dag,
    error_block,
    expected,
    pending,
    snapshot,
)
from farflow.dags.plan import LocalFile, SyncPlan

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_pushed_file_waits_for_a_parse_after_the_push() -> None:
    before = Snapshot((ParsedDag("a", "a.py", _at(0)),), ())
    wanted = Expected(pushed=("a.py",), deleted=())
    pushed_at = _at(5)
    assert pending(wanted, before, before, pushed_at) == ["a.py"]
    # Parsed again before the push (the old text, on its interval): still waiting.
    assert pending(wanted, before, Snapshot((ParsedDag("a", "a.py", _at(4)),), ()), pushed_at) == ["a.py"]
    assert pending(wanted, before, Snapshot((ParsedDag("a", "a.py", _at(6)),), ()), pushed_at) == []


def test_an_import_error_after_the_push_counts_as_parsed() -> None:
    before = Snapshot((ParsedDag("a", "a.py", _at(0)),), ())
    now = Snapshot((), (ParseError("a.py", _at(7), "Traceback\nSyntaxError: invalid syntax"),))
    assert pending(Expected(("a.py",), ()), before, now, _at(5)) == []


def test_without_s3s_time_the_last_parse_before_is_the_floor() -> None:
    before = Snapshot((ParsedDag("a", "a.py", _at(10)),), ())
    assert pending(Expected(("a.py",), ()), before, before, None) == ["a.py"]
    after = Snapshot((ParsedDag("a", "a.py", _at(11)),), ())
    assert pending(Expected(("a.py",), ()), before, after, None) == []


def test_a_deleted_file_is_done_when_nothing_names_it() -> None:
    before = Snapshot((ParsedDag("a", "gone.py", _at(0)),), (ParseError("bad.py", _at(0), "x"),))
    wanted = Expected(pushed=(), deleted=("gone.py", "bad.py"))
    assert pending(wanted, before, before, _at(1)) == ["gone.py", "bad.py"]
    assert pending(wanted, before, Snapshot((), ()), _at(1)) == []


def _file(tmp_path: Path, key: str, text: str) -> LocalFile:
    path = tmp_path / key
    path.write_text(text)
    return LocalFile(key, path, "")


def test_only_files_that_define_a_dag_or_gave_one_are_waited_for(tmp_path: Path) -> None:
    dag = _file(tmp_path, "new_dag.py", "from airflow.sdk import DAG\nwith DAG('x'):\n    pass\n")
    decorated = _file(tmp_path, "deco.py", "from airflow.sdk import dag\n@dag()\ndef d(): ...\n")
    helper = _file(tmp_path, "dag_helpers.py", "# helpers for airflow dags\nVALUE = 1\n")
    known_helper = _file(tmp_path, "old.py", "VALUE = 2\n")
    config = _file(tmp_path, "settings.yaml", "airflow: dag\n")
    plan = SyncPlan(
        new=(dag, decorated, helper, config), changed=(known_helper,), deleted=("was.py", "other.py")
    )
    before = Snapshot((ParsedDag("o", "old.py", _at(0)), ParsedDag("w", "was.py", _at(0))), ())
    assert expected(plan, before) == Expected(pushed=("new_dag.py", "deco.py", "old.py"), deleted=("was.py",))


def test_defines_dag_needs_airflow_too() -> None:
    assert defines_dag(b"from airflow import DAG\nDAG('x')")
    assert not defines_dag(b"DAG('x')")


def test_snapshot_keeps_the_bundles_own_documents() -> None:
    found = snapshot(
        [
            {
                "dag_id": "a",
                "relative_fileloc": "a.py",
                "last_parsed_time": "2026-12-01T12:00:01Z",
                "bundle_name": "b",
            },
            {"dag_id": "z", "relative_fileloc": "z.py", "last_parsed_time": None, "bundle_name": "other"},
        ],
        [
            {
                "filename": "e.py",
                "timestamp": "2026-12-01T12:00:02+00:00",
                "stack_trace": "t",
                "bundle_name": "b",
            }
        ],
        "b",
    )
    assert found.dags == (ParsedDag("a", "a.py", _at(1)),)
    assert found.errors == (ParseError("e.py", _at(2), "t"),)


def test_an_import_error_is_shown_as_its_file_and_the_last_lines_of_its_trace() -> None:
    trace = (
        "Traceback (most recent call last):\n"
        '  File "<frozen importlib._bootstrap>", line 241, in _call_with_frames_removed\n'
        '  File "/bundle/broken.py", line 2, in <module>\n'
        "    import no_such_module\n"
        "ModuleNotFoundError: No module named 'no_such_module'\n"
    )
    assert error_block(ParseError("broken.py", T0, trace)) == [
        "broken.py:",
        '    File "/bundle/broken.py", line 2, in <module>',
        "    import no_such_module",
        "    ModuleNotFoundError: No module named 'no_such_module'",
    ]
