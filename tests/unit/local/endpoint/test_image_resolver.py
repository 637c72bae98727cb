from __future__ import annotations

from pathlib import Path

import pytest

from farflow.local.endpoint.image_resolver import ImageNotFoundError, ImageResolver, repository

PYTHON = "/opt/env/bin/python3"


@pytest.mark.parametrize(
    ("image", "name"),
    [
        ("multi_task", "multi_task"),
        ("apache/airflow:3.3.2", "apache/airflow"),
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/farflow-tasks/multi_task:latest",
            "farflow-tasks/multi_task",
        ),
        ("localhost:5000/tools/etl@sha256:abcd", "tools/etl"),
        ("airflow-registry.example.com/team/etl:1", "team/etl"),
    ],
)
def test_repository_drops_registry_tag_and_digest(image: str, name: str) -> None:
    assert repository(image) == name


def test_airflow_image_runs_in_this_environment(tmp_path: Path) -> None:
    resolver = ImageResolver(project_dir=tmp_path, python=PYTHON)
    local = resolver.resolve(
        "apache/airflow:3.3.2", ["python", "-m", "airflow.sdk.execution_time.execute_workload"]
    )
    assert local.argv == (PYTHON, "-m", "airflow.sdk.execution_time.execute_workload")
    assert local.cwd == tmp_path.resolve()


def test_airflow_without_project_gets_a_scratch_folder() -> None:
    local = ImageResolver(python=PYTHON).resolve("farflow/airflow:local", ["airflow", "version"])
    assert local.argv == ("/opt/env/bin/airflow", "version")
    assert local.cwd is None


def test_task_folder_image(tmp_path: Path) -> None:
    folder = tmp_path / "tasks" / "multi_task"
    folder.mkdir(parents=True)
    resolver = ImageResolver(project_dir=tmp_path, python=PYTHON)
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/farflow-tasks/multi_task:latest"
    local = resolver.resolve(image, ["python3.11", "main.py"])
    assert local.argv == (PYTHON, "main.py")
    assert local.cwd == folder.resolve()


@pytest.mark.parametrize("program", ["python", "python3", "python3.12", "/usr/local/bin/python"])
def test_python_spellings_map_to_the_resolvers_python(program: str) -> None:
    assert ImageResolver(python=PYTHON).map_command([program, "-V"]) == (PYTHON, "-V")


def test_other_programs_are_left_to_path() -> None:
    assert ImageResolver(python=PYTHON).map_command(["bash", "-c", "true"]) == ("bash", "-c", "true")


def test_unknown_image_explains_the_mapping(tmp_path: Path) -> None:
    resolver = ImageResolver(project_dir=tmp_path, python=PYTHON)
    with pytest.raises(ImageNotFoundError) as error:
        resolver.resolve("nginx:latest", ["nginx"])
    message = str(error.value)
    assert message.startswith("CannotPullContainerError:")
    assert "'nginx:latest'" in message
    assert str(tmp_path.resolve() / "tasks") in message
    assert "airflow" in message
    assert "docs/local-images.md" in message


def test_missing_task_folder_is_not_an_image(tmp_path: Path) -> None:
    with pytest.raises(ImageNotFoundError):
        ImageResolver(project_dir=tmp_path).resolve("farflow-tasks/absent:latest", ["python"])
