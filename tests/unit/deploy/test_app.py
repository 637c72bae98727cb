"""The app's entry point: where it writes, which config it reads, what it needs from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from farflow.deploy import app as app_module
from farflow.deploy.config import DeployConfig, ProjectConfig
from farflow.deploy.images import MissingDockerfileError
from farflow.deploy.stack import MissingRegionError, stack_environment


def test_main_synthesizes_the_project_into_cdk_outdir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[tuple[Path, DeployConfig, Path]] = []
    monkeypatch.setattr(
        app_module, "synth", lambda project, config, outdir: calls.append((project, config, outdir))
    )
    monkeypatch.setattr(app_module, "load_config", lambda project: DeployConfig())
    monkeypatch.setenv("CDK_OUTDIR", str(tmp_path / "assembly"))
    assert app_module.main(["--project", str(tmp_path)]) == 0
    assert calls == [(tmp_path, DeployConfig(), tmp_path / "assembly")]


def test_main_defaults_to_cdk_out_in_the_project(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[Path] = []
    monkeypatch.setattr(app_module, "synth", lambda project, config, outdir: calls.append(outdir))
    monkeypatch.setattr(app_module, "load_config", lambda project: DeployConfig())
    monkeypatch.delenv("CDK_OUTDIR", raising=False)
    app_module.main(["--project", str(tmp_path)])
    assert calls == [tmp_path / "cdk.out"]


def test_config_comes_from_the_loader_when_there_is_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import importlib
    import types

    loaded = DeployConfig(project=ProjectConfig(name="loaded"))
    fake = types.SimpleNamespace(load=lambda project: loaded)
    real_import = importlib.import_module
    monkeypatch.setattr(
        importlib, "import_module", lambda name: fake if name.endswith("config_file") else real_import(name)
    )
    assert app_module.load_config(tmp_path) is loaded


def test_config_defaults_without_the_loader(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import importlib

    def missing(name: str) -> None:
        raise ModuleNotFoundError(name)

    monkeypatch.setattr(importlib, "import_module", missing)
    assert app_module.load_config(tmp_path) == DeployConfig()


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
