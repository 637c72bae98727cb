"""`farflow init`: writes the shipped sample project, refuses to clobber a folder unless told to."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from farflow.scaffold import ProjectExistsError, init_project

EXPECTED = {
    Path("dags/sample_dag.py"),
    Path("tasks/multi_task/Dockerfile"),
    Path("tasks/multi_task/odd_numbers.py"),
    Path("tasks/multi_task/even_numbers.py"),
    Path("tasks/number_task/Dockerfile"),
    Path("tasks/number_task/numbers.py"),
    Path(".gitignore"),
    Path("README.md"),
    Path("farflow.toml"),
    Path("cdk.json"),
    Path("Dockerfile"),
    Path(".dockerignore"),
    Path("requirements.txt"),
}


def test_writes_the_sample_project(tmp_path: Path) -> None:
    target = tmp_path / "project"
    written = init_project(target)
    assert set(written) == EXPECTED
    for relative in EXPECTED:
        assert (target / relative).is_file()
    ast.parse((target / "dags/sample_dag.py").read_text())
    assert not list(target.rglob("__pycache__"))


def test_sample_dag_reads_the_documented_names(tmp_path: Path) -> None:
    init_project(tmp_path / "p")
    text = (tmp_path / "p/dags/sample_dag.py").read_text()
    for name in (
        "FARFLOW_CLUSTER",
        "FARFLOW_SUBNETS",
        "FARFLOW_SECURITY_GROUPS",
        "FARFLOW_TASK_DEFINITION_PREFIX",
    ):
        assert name in text
    assert "start_process() >> [odd_task, even_task] >> numbers_task >> on_worker_task()" in text


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ProjectExistsError, match=r"not empty.*--force"):
        init_project(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_force_writes_over_and_keeps_other_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    init_project(tmp_path, force=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "dags/sample_dag.py").is_file()


def test_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(ProjectExistsError, match="is a file"):
        init_project(target)


def test_the_gitignore_names_each_pattern_once(tmp_path: Path) -> None:
    init_project(tmp_path)
    patterns = [
        line for line in (tmp_path / ".gitignore").read_text().splitlines() if line and line[0] != "#"
    ]
    assert len(patterns) == len(set(patterns))
    assert {".farflow/", "cdk.out/"} <= set(patterns)
