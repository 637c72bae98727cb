"""The app's entry point: where it writes, which config it reads, what it needs from the environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from farflow.deploy import app as app_module
from farflow.deploy.config import DeployConfig, ProjectConfig
from farflow.deploy.dockerfile import MissingDockerfileError
from farflow.deploy.stack import MissingRegionError, stack_environment
from farflow.scaffold import init_project
from tests.support.deploy import REGION, Synthesized


def test_main_synthesizes_the_projects_farflow_toml_into_cdk_outdir(
    stack: Synthesized, project: Path
) -> None:
    """The session's default stack came from `main`, as cdk.json runs it (tests/support/deploy.py): the
    assembly is in CDK_OUTDIR, for the Region the project's farflow.toml names (the defaults say another)."""
    assert stack.via_app
    manifest = json.loads((stack.outdir / "manifest.json").read_text())
    assert manifest["artifacts"]["farflow"]["environment"] == f"aws://unknown-account/{REGION}"
    assert DeployConfig().project.region != REGION
    assert not (project / "cdk.out").exists()


def test_the_assembly_goes_to_cdk_outdir_else_to_cdk_out_in_the_project(tmp_path: Path) -> None:
    assert app_module.assembly_folder(tmp_path, {"CDK_OUTDIR": "/elsewhere"}) == Path("/elsewhere")
    assert app_module.assembly_folder(tmp_path, {}) == tmp_path / "cdk.out"
    assert app_module.assembly_folder(tmp_path, {"CDK_OUTDIR": ""}) == tmp_path / "cdk.out"


def test_a_project_without_farflow_toml_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert app_module.main(["--project", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert f"{tmp_path} has no farflow.toml" in error and "farflow init" in error
    assert "Traceback" not in error and not (tmp_path / "cdk.out").exists()


NO_REGION = DeployConfig(project=ProjectConfig(region=""))


def test_region_from_config_then_toolkit_then_cli() -> None:
    config = DeployConfig(project=ProjectConfig(region="eu-west-1", account="123456789012"))
    environment = stack_environment(config, {"CDK_DEFAULT_REGION": "us-east-2"})
    assert (environment.region, environment.account) == ("eu-west-1", "123456789012")
    assert (
        stack_environment(NO_REGION, {"CDK_DEFAULT_REGION": "us-east-2", "AWS_REGION": "x"}).region
        == "us-east-2"
    )
    assert stack_environment(NO_REGION, {"AWS_DEFAULT_REGION": "ap-south-1"}).region == "ap-south-1"
    assert stack_environment(NO_REGION, {"AWS_REGION": "eu-north-1"}).account is None


def test_no_region_is_an_error_that_says_where_to_set_it() -> None:
    with pytest.raises(MissingRegionError, match=r"\[project\].*farflow.toml.*AWS_REGION"):
        stack_environment(NO_REGION, {})


def test_a_project_without_the_airflow_dockerfile_is_refused(tmp_path: Path) -> None:
    config = DeployConfig(project=ProjectConfig(region="eu-west-1"))
    with pytest.raises(MissingDockerfileError, match="farflow init"):
        app_module.build_app(tmp_path, config, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # refused before the app staged anything


@pytest.mark.parametrize(
    "case",
    [
        ('[project]\nregion = "eu-west-1"\n', False, "Dockerfile is missing"),
        ('[project]\nregion = ""\n', True, "No AWS Region is set"),
    ],
)
def test_main_refuses_what_the_project_lacks_in_one_line_and_writes_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    case: tuple[str, bool, str],
) -> None:
    """What `cdk deploy` (through cdk.json) shows when the project lacks a piece: the fix, no traceback."""
    for name in ("CDK_DEFAULT_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    farflow_toml, dockerfile, expected = case
    init_project(tmp_path / "p")
    project = tmp_path / "p"
    (project / "farflow.toml").write_text(farflow_toml)
    if not dockerfile:
        (project / "Dockerfile").unlink()
    monkeypatch.setenv("CDK_OUTDIR", str(tmp_path / "out"))
    assert app_module.main(["--project", str(project)]) == 1
    error = capsys.readouterr().err
    assert expected in error and len(error.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
