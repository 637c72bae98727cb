"""What needs `farflow deploy` after a push: the Airflow image's inputs and each tasks/<name> folder, by
content; DAG files never."""

from __future__ import annotations

from pathlib import Path

from farflow.dags.fingerprints import changed, from_output, image_inputs, to_output
from farflow.scaffold import init_project


def test_only_image_inputs_count_and_each_change_is_named(tmp_path: Path) -> None:
    project = tmp_path / "p"
    init_project(project)
    deployed = from_output(to_output(image_inputs(project)))
    assert set(deployed) == {"Dockerfile", "requirements.txt", "tasks/multi_task", "tasks/number_task"}
    (project / "dags" / "sample_dag.py").write_text("# a DAG edit\n")
    assert changed(image_inputs(project), deployed) == []
    with (project / "requirements.txt").open("a") as requirements:
        requirements.write("pandas\n")
    (project / "tasks" / "number_task" / "extra.txt").write_text("x")
    (project / "tasks" / "new_task").mkdir()
    (project / "tasks" / "new_task" / "Dockerfile").write_text("FROM busybox\n")
    assert changed(image_inputs(project), deployed) == [
        "requirements.txt",
        "tasks/new_task",
        "tasks/number_task",
    ]


def test_an_unreadable_output_compares_as_nothing_deployed() -> None:
    assert from_output("not json") == {}
    assert changed({"Dockerfile": "abc"}, from_output("")) == ["Dockerfile"]
