"""The template's Airflow image: the official Airflow, farflow and the deploy's providers, the DAGs."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from farflow.database_tls import CA_BUNDLE, CA_BUNDLE_URL
from farflow.deploy.dockerfile import AIRFLOW_DOCKERFILE, OutdatedDockerfileError, dockerfile_problem
from farflow.deploy.environment import IMAGE_DAGS_FOLDER
from farflow.deploy.farflow_wheel import DIST_FOLDER
from farflow.deploy.images import airflow_image
from farflow.scaffold import init_project
from farflow.spec.metrics import STATSD_REQUIREMENT


def test_dockerfile_builds_on_the_official_image_with_the_needed_providers(tmp_path: Path) -> None:
    init_project(tmp_path)
    text = (tmp_path / AIRFLOW_DOCKERFILE).read_text()
    assert re.search(r"^ARG AIRFLOW_VERSION=3\.3\.\d+$", text, re.MULTILINE)
    assert "ARG PYTHON_VERSION=3.11" in text
    assert "FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}" in text
    for requirement in (
        "apache-airflow-providers-amazon>=9.39.0",
        "apache-airflow-providers-fab",
        "apache-airflow-providers-edge3",
        "-r /tmp/farflow/requirements.txt",
    ):
        assert requirement in text
    assert f"COPY --chown=airflow:root dags/ {IMAGE_DAGS_FOLDER}/" in text


def test_dockerignore_lets_in_only_the_images_inputs(tmp_path: Path) -> None:
    init_project(tmp_path)
    lines = [
        line for line in (tmp_path / ".dockerignore").read_text().splitlines() if line and line[0] != "#"
    ]
    assert lines[:4] == ["*", "!dags/", "!requirements.txt", f"!{DIST_FOLDER.as_posix()}/"]
    assert (tmp_path / "requirements.txt").is_file()


def test_the_staged_wheels_stay_out_of_git(tmp_path: Path) -> None:
    init_project(tmp_path)
    assert f"{DIST_FOLDER.parts[0]}/" in (tmp_path / ".gitignore").read_text().splitlines()


def install_command(project: Path) -> str:
    """The Dockerfile's pip install RUN as one shell script, pip replaced by printing its arguments."""
    text = (project / AIRFLOW_DOCKERFILE).read_text()
    [copy] = re.findall(r"^COPY (\S+) (/tmp/farflow-dist/)$", text, re.MULTILINE)
    assert copy == (f"{DIST_FOLDER.as_posix()}/", "/tmp/farflow-dist/")
    [run] = re.findall(r"^RUN (set -- .*?[^\\])$", text, re.MULTILINE | re.DOTALL)
    # Docker joins a line ending in a backslash with the next, as the shell would.
    script = run.replace("\\\n", "").replace("/tmp/farflow-dist", str(project / DIST_FOLDER))
    return script.replace("pip install --no-cache-dir", "printf '%s\\n'")


@pytest.mark.parametrize("staged", [True, False])
def test_the_image_installs_the_staged_wheel_else_the_pinned_version(tmp_path: Path, staged: bool) -> None:
    init_project(tmp_path)
    (tmp_path / DIST_FOLDER).mkdir(parents=True)
    wheel = tmp_path / DIST_FOLDER / "farflow-9.9.9-py3-none-any.whl"
    if staged:
        wheel.write_bytes(b"")
    environment = {"PATH": os.environ["PATH"], "AIRFLOW_VERSION": "3.3.2", "FARFLOW_VERSION": "9.9.9"}
    done = subprocess.run(
        ["sh", "-c", install_command(tmp_path)], env=environment, capture_output=True, text=True, check=True
    )
    arguments = done.stdout.splitlines()
    assert arguments[:2] == ["apache-airflow==3.3.2", str(wheel) if staged else "farflow==9.9.9"]
    assert arguments[-2:] == ["-r", "/tmp/farflow/requirements.txt"]
    # Without it Airflow cannot send the metrics the alarms read.
    assert STATSD_REQUIREMENT in arguments


def test_the_image_adds_the_rds_ca_bundle_readable_by_airflow(tmp_path: Path) -> None:
    """What verify-full reads (farflow.database_tls), fetched from AWS at build time, mode 0644 (ADD
    of a URL is 0600 otherwise, and Airflow does not run as root)."""
    init_project(tmp_path)
    text = (tmp_path / AIRFLOW_DOCKERFILE).read_text()
    assert re.findall(r"^ADD .*$", text, re.MULTILINE) == [f"ADD --chmod=0644 {CA_BUNDLE_URL} {CA_BUNDLE}"]
    assert CA_BUNDLE_URL == "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
    assert dockerfile_problem(text) is None


def test_the_dockerfile_asks_for_the_buildkit_frontend_first(tmp_path: Path) -> None:
    """`ADD --chmod` is BuildKit's: the syntax directive, as the first line, makes any builder use it."""
    init_project(tmp_path)
    text = (tmp_path / AIRFLOW_DOCKERFILE).read_text()
    assert "--chmod" in text
    assert text.splitlines()[0] == "# syntax=docker/dockerfile:1"


def test_a_dockerfile_without_the_bundle_is_refused_in_one_line_naming_the_line_to_add(
    tmp_path: Path,
) -> None:
    from aws_cdk import App, Stack

    init_project(tmp_path)
    dockerfile = tmp_path / AIRFLOW_DOCKERFILE
    dockerfile.write_text(
        "\n".join(line for line in dockerfile.read_text().splitlines() if CA_BUNDLE not in line)
    )
    with pytest.raises(OutdatedDockerfileError) as caught:
        airflow_image(Stack(App(outdir=str(tmp_path / "out")), "S"), "Image", tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{dockerfile}: ")
    assert message.endswith(f"ADD --chmod=0644 {CA_BUNDLE_URL} {CA_BUNDLE}")
