"""Task definitions the seed registers: built from the project by pure functions."""

from __future__ import annotations

from pathlib import Path

import pytest

from farflow.local.endpoint.images import ImageResolver
from farflow.local.seed import (
    SeedError,
    airflow_task_definition,
    dockerfile_command,
    folder_task_definition,
    task_folders,
)
from farflow.scaffold import init_project


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('FROM python\nCMD ["python", "numbers.py"]\n', ["python", "numbers.py"]),
        ("FROM python\nCMD python run.py --fast\n", ["/bin/sh", "-c", "python run.py --fast"]),
        ('CMD ["a"]\nCMD ["b", "c"]\n', ["b", "c"]),
        ('CMD ["python", \\\n  "x.py"]\n', ["python", "x.py"]),
        ("FROM python\nRUN pip install x\n", None),
    ],
)
def test_dockerfile_command(text: str, expected: list[str] | None) -> None:
    assert dockerfile_command(text) == expected


def test_one_definition_per_task_folder(tmp_path: Path) -> None:
    init_project(tmp_path)
    (tmp_path / "tasks/no_dockerfile").mkdir()
    folders = task_folders(tmp_path)
    assert [folder.name for folder in folders] == ["multi_task", "number_task"]
    definition = folder_task_definition(folders[1], "us-east-1")
    assert definition["family"] == "farflow-number_task"
    assert definition["requiresCompatibilities"] == ["FARGATE"]
    (container,) = definition["containerDefinitions"]
    assert container["name"] == "number_task"
    assert container["command"] == ["python", "numbers.py"]
    options = container["logConfiguration"]["options"]
    assert options["awslogs-group"] == "/farflow/tasks"
    assert options["awslogs-stream-prefix"] == "ecs"


def test_task_images_map_to_their_folder_and_the_airflow_image_to_this_python(tmp_path: Path) -> None:
    init_project(tmp_path)
    resolver = ImageResolver(project_dir=tmp_path, python="/venv/bin/python")
    container = folder_task_definition(tmp_path / "tasks/multi_task", "us-east-1")["containerDefinitions"][0]
    local = resolver.resolve(container["image"], ["python", "odd_numbers.py"])
    assert local.cwd == (tmp_path / "tasks/multi_task").resolve()
    assert local.argv == ("/venv/bin/python", "odd_numbers.py")
    airflow = airflow_task_definition({}, "us-east-1")["containerDefinitions"][0]
    assert resolver.resolve(airflow["image"], ["python", "-m", "x"]).argv[0] == "/venv/bin/python"


def test_a_folder_name_ecs_cannot_use_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "tasks" / "bad name"
    folder.mkdir(parents=True)
    (folder / "Dockerfile").write_text("FROM python\n")
    with pytest.raises(SeedError, match=r"bad name.*Rename the folder"):
        folder_task_definition(folder, "us-east-1")


def test_airflow_definition_carries_the_environment_sorted() -> None:
    definition = airflow_task_definition({"B": "2", "A": "1"}, "eu-west-1")
    (container,) = definition["containerDefinitions"]
    assert definition["family"] == "farflow-airflow"
    assert container["name"] == "airflow"
    assert "airflow" in container["image"]
    assert container["environment"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert container["logConfiguration"]["options"]["awslogs-region"] == "eu-west-1"
