"""Task definitions the seed registers: the spec's shapes rendered into RegisterTaskDefinition requests."""

from __future__ import annotations

from pathlib import Path

import pytest

from farflow.local.endpoint.image_resolver import ImageResolver
from farflow.local.seed import SeedError, airflow_task_definition
from farflow.scaffold import init_project
from farflow.spec import Names, TaskFolderError
from tests.support.seeding import folder_task_definition


def test_a_task_folder_becomes_a_fargate_definition(tmp_path: Path) -> None:
    init_project(tmp_path)
    definition = folder_task_definition(tmp_path / "tasks/number_task", "us-east-1")
    assert definition["family"] == "farflow-number_task"
    assert definition["requiresCompatibilities"] == ["FARGATE"]
    assert (definition["cpu"], definition["memory"]) == ("256", "512")
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


def test_a_folder_name_ecs_cannot_use_is_the_specs_error_under_the_seeds_name(tmp_path: Path) -> None:
    folder = tmp_path / "tasks" / "bad name"
    folder.mkdir(parents=True)
    (folder / "Dockerfile").write_text("FROM python\n")
    with pytest.raises(SeedError, match=r"bad name.*Rename the folder") as caught:
        folder_task_definition(folder, "us-east-1")
    assert isinstance(caught.value, TaskFolderError)


def test_airflow_definition_is_the_spec_shape_with_the_environment_sorted() -> None:
    definition = airflow_task_definition({"B": "2", "A": "1"}, "eu-west-1")
    (container,) = definition["containerDefinitions"]
    assert definition["family"] == "farflow-airflow"
    assert (definition["cpu"], definition["memory"]) == ("2048", "4096")
    assert container["name"] == "airflow"
    assert "airflow" in container["image"]
    assert "command" not in container  # the executor sends each workload's command
    assert container["environment"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    options = container["logConfiguration"]["options"]
    assert options == {
        "awslogs-group": "/farflow/airflow",
        "awslogs-region": "eu-west-1",
        "awslogs-stream-prefix": "airflow",
    }


def test_names_come_from_the_spec(tmp_path: Path) -> None:
    init_project(tmp_path)
    names = Names("acme")
    assert airflow_task_definition({}, "us-east-1", names)["family"] == "acme-airflow"
    definition = folder_task_definition(tmp_path / "tasks/multi_task", "us-east-1", names)
    assert definition["family"] == "acme-multi_task"
    assert (
        definition["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-group"] == "/acme/tasks"
    )
