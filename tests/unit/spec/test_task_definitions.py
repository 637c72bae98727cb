"""Task definition shapes: the Dockerfile's CMD, the folders that become definitions, the Airflow task's size."""

from __future__ import annotations

from pathlib import Path

import pytest

from farflow.scaffold import init_project
from farflow.spec import Names, TaskFolderError, airflow_task_shape, folder_task_shape, task_folders
from farflow.spec.task_definitions import dockerfile_command


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('FROM python\nCMD ["python", "numbers.py"]\n', ("python", "numbers.py")),
        ("FROM python\nCMD python run.py --fast\n", ("/bin/sh", "-c", "python run.py --fast")),
        ('CMD ["a"]\nCMD ["b", "c"]\n', ("b", "c")),
        ('CMD ["python", \\\n  "x.py"]\n', ("python", "x.py")),
        ("FROM python\nRUN pip install x\n", None),
    ],
)
def test_dockerfile_command(text: str, expected: tuple[str, ...] | None) -> None:
    assert dockerfile_command(text) == expected


def test_folders_with_a_dockerfile_become_definitions(tmp_path: Path) -> None:
    init_project(tmp_path)
    (tmp_path / "tasks/no_dockerfile").mkdir()
    folders = task_folders(tmp_path)
    assert [folder.name for folder in folders] == ["multi_task", "number_task"]
    shape = folder_task_shape(folders[1], Names())
    assert shape.family == "farflow-number_task"
    assert shape.container.command == ("python", "numbers.py")
    assert shape.folder == folders[1]


def test_a_folder_name_ecs_cannot_use_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "tasks" / "bad name"
    folder.mkdir(parents=True)
    (folder / "Dockerfile").write_text("FROM python\n")
    with pytest.raises(TaskFolderError, match=r"bad name.*Rename the folder"):
        folder_task_shape(folder, Names())


@pytest.mark.parametrize("name", ["airflow", "airflow-task"])
def test_a_folder_that_would_take_farflow_s_own_names_is_refused(tmp_path: Path, name: str) -> None:
    """tasks/airflow's family would be the Airflow task definition's; tasks/airflow-task's roles its."""
    folder = tmp_path / "tasks" / name
    folder.mkdir(parents=True)
    (folder / "Dockerfile").write_text("FROM python\n")
    assert Names().folder_family("airflow") == Names().airflow_family
    with pytest.raises(
        TaskFolderError, match=rf"tasks/{name} is reserved.*farflow-airflow.*Rename the folder"
    ):
        folder_task_shape(folder, Names())


def test_the_airflow_task_is_sized_like_the_deploys_default() -> None:
    shape = airflow_task_shape(Names("acme"))
    assert (shape.family, shape.cpu, shape.memory) == ("acme-airflow", 2048, 4096)
    assert shape.container.command is None  # the executor sends each workload's command
