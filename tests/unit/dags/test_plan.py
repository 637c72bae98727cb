"""Sync planning: by content alone, a file goes up when it is new or differs, an object goes when its file
is gone, and nothing else is sent."""

from __future__ import annotations

import hashlib
from pathlib import Path

from farflow.dags.plan import Remote, local_files, plan


def _etag(text: str) -> str:
    return f'"{hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()}"'


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_changed_unchanged_new_and_deleted_are_told_apart(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"same.py": "a", "edited.py": "new text", "added.py": "b", "lib/util.py": "u"})
    remote = Remote(
        {
            "same.py": _etag("a"),
            "edited.py": _etag("old text"),
            "lib/util.py": _etag("u"),
            "gone.py": _etag("g"),
        }
    )
    planned = plan(local_files(folder), remote)
    assert [file.key for file in planned.new] == ["added.py"]
    assert [file.key for file in planned.changed] == ["edited.py"]
    assert planned.deleted == ("gone.py",)
    assert planned.unchanged == 2
    assert planned.summary() == "1 new, 1 changed, 1 deleted, 2 unchanged"


def test_an_unchanged_folder_plans_nothing(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"dag.py": "x", "sub/helper.py": "y"})
    remote = Remote({"dag.py": _etag("x"), "sub/helper.py": _etag("y")})
    planned = plan(local_files(folder), remote)
    assert planned.empty
    assert planned.unchanged == 2


def test_the_same_bytes_under_a_new_time_are_not_sent_again(tmp_path: Path) -> None:
    import os

    folder = _folder(tmp_path, {"dag.py": "x"})
    os.utime(folder / "dag.py", (1, 1))
    assert plan(local_files(folder), Remote({"dag.py": _etag("x")})).empty


def test_caches_and_editor_files_are_not_part_of_the_bundle(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        {
            "dag.py": "x",
            "__pycache__/dag.cpython-311.pyc": "c",
            "old.pyc": "c",
            ".DS_Store": "d",
            ".airflowignore": "i",
        },
    )
    assert sorted(local_files(folder)) == [".airflowignore", "dag.py"]


def test_an_etag_that_is_no_md5_counts_as_changed(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"dag.py": "x"})
    planned = plan(local_files(folder), Remote({"dag.py": '"0123456789abcdef0123456789abcdef-2"'}))
    assert [file.key for file in planned.changed] == ["dag.py"]


def test_everything_is_deleted_when_the_folder_is_empty(tmp_path: Path) -> None:
    planned = plan(local_files(tmp_path), Remote({"a.py": _etag("a"), "b/c.py": _etag("c")}))
    assert planned.deleted == ("a.py", "b/c.py")
    assert not planned.uploads
