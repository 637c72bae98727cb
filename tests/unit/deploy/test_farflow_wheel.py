"""The running farflow, staged as a wheel into the Airflow image's build context by every synth."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

import farflow
from farflow.deploy import farflow_wheel
from farflow.deploy.farflow_wheel import DIST_FOLDER, build_wheel, package_files, stage
from farflow.scaffold import init_project
from tests.support.deploy import Synthesized

VERSION = metadata.version("farflow")
WHEEL = f"farflow-{VERSION}-py3-none-any.whl"
DIST_INFO = f"farflow-{VERSION}.dist-info"


def test_synth_stages_the_running_farflow_with_its_provider_and_plugin_entry_points(
    stack: Synthesized, project: Path
) -> None:
    assert [path.name for path in (project / DIST_FOLDER).iterdir()] == [WHEEL]
    with zipfile.ZipFile(project / DIST_FOLDER / WHEEL) as wheel:
        names = set(wheel.namelist())
        assert {"farflow/__init__.py", "farflow/executor/ecs_fargate_executor.py"} <= names
        assert "farflow/template/Dockerfile" in names  # package data too
        assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
        entry_points = wheel.read(f"{DIST_INFO}/entry_points.txt").decode()
        assert "[apache_airflow_provider]\nprovider_info = farflow.provider:get_provider_info" in entry_points
        # The UI plugin: every Airflow process of the image, the api-server included, loads it.
        assert "[airflow.plugins]\nfarflow = farflow.ui.plugin:FarflowPlugin" in entry_points
        assert "farflow/ui/plugin.py" in names
        fields = wheel.read(f"{DIST_INFO}/METADATA").decode()
        assert "Name: farflow\n" in fields
        assert f"Version: {VERSION}\n" in fields
        assert "Tag: py3-none-any" in wheel.read(f"{DIST_INFO}/WHEEL").decode()
        record = wheel.read(f"{DIST_INFO}/RECORD").decode().splitlines()
        assert record[-1] == f"{DIST_INFO}/RECORD,,"
        for line in record[:-1]:
            path, digest, size = line.rsplit(",", 2)
            content = wheel.read(path)
            expected = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
            assert (digest, int(size)) == (f"sha256={expected}", len(content)), path
        assert {line.rsplit(",", 2)[0] for line in record} == names


def test_the_image_build_context_holds_the_wheel(stack: Synthesized, project: Path) -> None:
    images = json.loads((stack.outdir / "farflow.assets.json").read_text())["dockerImages"]
    [airflow] = [image["source"] for image in images.values() if "dockerBuildArgs" in image["source"]]
    assert airflow["dockerBuildArgs"] == {"FARFLOW_VERSION": VERSION}
    in_context = stack.outdir / airflow["directory"] / DIST_FOLDER / WHEEL
    assert in_context.read_bytes() == (project / DIST_FOLDER / WHEEL).read_bytes()


def fake_installed(tmp_path: Path) -> tuple[Path, metadata.Distribution]:
    """A package folder with what a working tree holds besides it, and an installed dist-info."""
    package = tmp_path / "src" / "farflow"
    for relative in ("__init__.py", "deploy/app.py", "template/dockerignore"):
        (package / relative).parent.mkdir(parents=True, exist_ok=True)
        (package / relative).write_text(f"# {relative}\n")
    for junk in ("__pycache__/app.cpython-311.pyc", "deploy/.app.py.swp", "template/.farflow/secrets.json"):
        (package / junk).parent.mkdir(parents=True, exist_ok=True)
        (package / junk).write_text("junk")
    dist_info = tmp_path / "site" / "farflow-1.2.3.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.4\nName: farflow\nVersion: 1.2.3\n")
    (dist_info / "entry_points.txt").write_text("[apache_airflow_provider]\nprovider_info = x:y\n")
    (dist_info / "direct_url.json").write_text('{"url": "file:///src", "dir_info": {"editable": true}}')
    return package, metadata.PathDistribution(dist_info)


def test_the_wheel_has_the_package_files_and_no_caches_or_hidden_files(tmp_path: Path) -> None:
    package, distribution = fake_installed(tmp_path)
    assert [str(path) for path in package_files(package)] == [
        "farflow/__init__.py",
        "farflow/deploy/app.py",
        "farflow/template/dockerignore",
    ]
    wheel = build_wheel(package, distribution)
    assert (wheel.filename, wheel.version) == ("farflow-1.2.3-py3-none-any.whl", "1.2.3")
    with zipfile.ZipFile(io.BytesIO(wheel.content)) as archive:
        assert archive.namelist() == [
            "farflow/__init__.py",
            "farflow/deploy/app.py",
            "farflow/template/dockerignore",
            "farflow-1.2.3.dist-info/METADATA",
            "farflow-1.2.3.dist-info/entry_points.txt",
            "farflow-1.2.3.dist-info/WHEEL",
            "farflow-1.2.3.dist-info/RECORD",
        ]


def test_the_wheel_is_the_same_bytes_every_time_and_is_not_rewritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package, distribution = fake_installed(tmp_path)
    first = build_wheel(package, distribution)
    (package / "__init__.py").touch()  # a new mtime changes nothing
    assert build_wheel(package, distribution).content == first.content
    monkeypatch.setattr(farflow_wheel, "running_farflow", lambda: (package, distribution))
    project = tmp_path / "project"
    (project / DIST_FOLDER).mkdir(parents=True)
    (project / DIST_FOLDER / "farflow-1.2.2-py3-none-any.whl").write_bytes(b"an older farflow")
    staged = stage(project)
    assert staged.wheel == project / DIST_FOLDER / first.filename
    assert [path.name for path in (project / DIST_FOLDER).iterdir()] == [first.filename]
    written = staged.wheel.stat().st_mtime_ns
    assert stage(project) == staged
    assert staged.wheel.stat().st_mtime_ns == written


def test_without_installed_metadata_the_folder_is_there_and_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(farflow_wheel, "running_farflow", lambda: None)
    (tmp_path / DIST_FOLDER).mkdir(parents=True)
    (tmp_path / DIST_FOLDER / WHEEL).write_bytes(b"a stale wheel")
    staged = stage(tmp_path)
    assert (staged.version, staged.wheel) == (farflow.__version__, None)
    assert staged.folder.is_dir()
    assert list(staged.folder.iterdir()) == []


def test_synth_warns_when_the_image_falls_back_to_the_package_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aws_cdk import App, Stack
    from aws_cdk.assertions import Annotations, Match

    from farflow.deploy.images import airflow_image

    monkeypatch.setattr(farflow_wheel, "running_farflow", lambda: None)
    init_project(tmp_path)
    stack = Stack(App(outdir=str(tmp_path / "out")), "S")
    airflow_image(stack, "Image", tmp_path)
    Annotations.from_stack(stack).has_warning(
        "/S/Image", Match.string_like_regexp(rf"no wheel .* farflow=={farflow.__version__} from the package")
    )
