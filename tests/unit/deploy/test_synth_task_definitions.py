"""Task definitions come from the spec's shapes: the Airflow task's and one per tasks/<name> folder."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

from farflow.spec import Names, airflow_task_shape, project_task_shapes
from tests.support.deploy import Synthesized

NAMES = Names()


def _log_options(container: dict) -> dict:
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"
    return container["LogConfiguration"]["Options"]


def _group_name(stack: Synthesized, reference: dict) -> str:
    return str(stack.resources[reference["Ref"]]["Properties"]["LogGroupName"])


def test_airflow_task_definition_is_the_shape(stack: Synthesized) -> None:
    shape = airflow_task_shape(NAMES, stack.config.airflow.task_cpu, stack.config.airflow.task_memory)
    _, task_definition = stack.task_definition_of(shape.container.name)
    properties = task_definition["Properties"]
    assert properties["Family"] == shape.family
    assert (properties["Cpu"], properties["Memory"]) == (str(shape.cpu), str(shape.memory))
    assert properties["RequiresCompatibilities"] == ["FARGATE"]
    [container] = properties["ContainerDefinitions"]
    assert "Command" not in container  # the executor sets each task's command
    assert container["StopTimeout"] == shape.container.stop_timeout
    options = _log_options(container)
    assert _group_name(stack, options["awslogs-group"]) == shape.container.log_group
    assert options["awslogs-stream-prefix"] == shape.container.log_stream_prefix


def test_airflow_image_is_the_project_dockerfile_asset(stack: Synthesized) -> None:
    container = stack.containers()[NAMES.airflow_container]
    assert "container-assets" in json.dumps(container["Image"])
    manifest = json.loads((stack.outdir / "farflow.assets.json").read_text())
    [image] = [image for image in manifest["dockerImages"].values() if "dockerFile" in image["source"]]
    assert image["source"]["dockerFile"] == "Dockerfile"
    assert image["source"]["platform"] == "linux/amd64"
    # The version of the installed farflow, whose wheel synth staged (test_farflow_wheel.py).
    assert image["source"]["dockerBuildArgs"] == {"FARFLOW_VERSION": metadata.version("farflow")}
    staged = stack.outdir / image["source"]["directory"]
    # .dockerignore keeps the context to the image's inputs: of .farflow/, only the staged wheel.
    assert sorted(path.name for path in staged.iterdir()) == [
        ".dockerignore",
        ".farflow",
        "Dockerfile",
        "dags",
        "requirements.txt",
    ]
    assert [path.parent.name for path in (staged / ".farflow").rglob("*") if path.is_file()] == ["dist"]


def test_one_task_definition_per_folder_with_its_own_image(stack: Synthesized, project: Path) -> None:
    shapes = project_task_shapes(project, NAMES)
    assert [shape.container.name for shape in shapes] == ["multi_task", "number_task"]
    for shape in shapes:
        _, task_definition = stack.task_definition_of(shape.container.name)
        properties = task_definition["Properties"]
        assert properties["Family"] == shape.family == f"{NAMES.task_definition_prefix}{shape.container.name}"
        assert (properties["Cpu"], properties["Memory"]) == (str(shape.cpu), str(shape.memory))
        [container] = properties["ContainerDefinitions"]
        assert container["Command"] == list(shape.container.command or ())
        assert "Environment" not in container and "Secrets" not in container
        options = _log_options(container)
        # What the sample DAG's operators read back: FARFLOW_LOG_GROUP and stream prefix "ecs".
        assert _group_name(stack, options["awslogs-group"]) == NAMES.task_log_group
        assert options["awslogs-stream-prefix"] == "ecs"


def test_log_groups_keep_the_configured_retention(stack: Synthesized) -> None:
    groups = stack.of_type("AWS::Logs::LogGroup").values()
    names = {group["Properties"].get("LogGroupName") for group in groups}
    assert {NAMES.airflow_log_group, NAMES.task_log_group, NAMES.remote_log_group} <= names
    assert {group["Properties"]["RetentionInDays"] for group in groups} == {stack.config.logs.retention_days}
