"""`farflow init`'s deploy files and `farflow synth/deploy/diff/destroy/bootstrap` at the command line.

AWS, Docker and the toolkit are replaced by the preflight probes and `toolkit.run`; no npx runs here.
"""

from __future__ import annotations

import json
import os
import sys
import types
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from farflow.cli import app
from farflow.deploy import preflight, toolkit
from farflow.deploy.config import DeployConfig
from farflow.deploy.config_file import load
from farflow.deploy.outputs import ADMIN_SECRET_OUTPUT, UI_URL_OUTPUT
from tests.support.preflight_probes import ACCOUNT, REGION, ready_probes

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    result = runner.invoke(app, ["init", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    return tmp_path / "p"


def leave_region_to_the_profile(project: Path) -> None:
    """The deploy commands' tests take the Region from the probes, as with `region = ""`, and allow an
    address someone has (deploy refuses the placeholder `farflow init` writes)."""
    config = project / "farflow.toml"
    text = config.read_text().replace('region = "us-east-1"', 'region = ""')
    config.write_text(text.replace('allowed_cidrs = ["192.0.2.1/32"]', 'allowed_cidrs = ["100.64.0.7/32"]'))


def test_init_writes_the_default_farflow_toml_and_cdk_json(project: Path) -> None:
    assert load(project) == DeployConfig()
    cdk = json.loads((project / "cdk.json").read_text())
    assert cdk["app"] == "python -m farflow.deploy.app --project ."
    assert "cdk.out/" in (project / ".gitignore").read_text()


def test_init_config_only_adds_the_deploy_files_to_a_project(tmp_path: Path) -> None:
    (tmp_path / "dags").mkdir()
    (tmp_path / "requirements.txt").write_text("pandas\n")
    result = runner.invoke(app, ["init", str(tmp_path), "--config-only"])
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        ".dockerignore",
        "Dockerfile",
        "cdk.json",
        "dags",
        "farflow.toml",
        "requirements.txt",
    ]
    assert (tmp_path / "requirements.txt").read_text() == "pandas\n"  # the project's own, kept
    assert "requirements.txt (kept)" in result.stdout
    (tmp_path / "farflow.toml").write_text("[database]\nport = 6543\n")
    again = runner.invoke(app, ["init", str(tmp_path), "--config-only"])
    assert again.exit_code == 2
    assert "exists already" in again.output
    assert load(tmp_path).database.port == 6543
    assert runner.invoke(app, ["init", str(tmp_path), "--config-only", "--force"]).exit_code == 0
    assert load(tmp_path) == DeployConfig()


def test_config_only_then_synth_gets_past_every_check_before_the_cdk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's path for an existing project: what synth checks first is all there (the synth
    itself is the session stack's, tests/support/deploy.py)."""
    from farflow.deploy.dockerfile import check_dockerfile

    (tmp_path / "dags").mkdir()
    assert runner.invoke(app, ["init", str(tmp_path), "--config-only"]).exit_code == 0
    check_dockerfile(tmp_path)
    reached: list[Path] = []
    synthesized = types.SimpleNamespace(
        synth=lambda project, config, outdir: reached.append(outdir) or outdir
    )
    monkeypatch.setitem(sys.modules, "farflow.deploy.app", synthesized)
    assert runner.invoke(app, ["synth", "--project", str(tmp_path)]).exit_code == 0
    assert reached == [tmp_path / "cdk.out"]


def test_synth_without_the_airflow_dockerfile_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "dags").mkdir()
    assert runner.invoke(app, ["init", str(tmp_path), "--config-only"]).exit_code == 0
    (tmp_path / "Dockerfile").unlink()
    result = runner.invoke(app, ["synth", "--project", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {tmp_path / 'Dockerfile'} is missing")
    assert f"farflow init {tmp_path} --config-only" in line
    assert not (tmp_path / "cdk.out").exists()
    assert not (tmp_path / ".farflow").exists()


def test_synth_without_a_region_anywhere_says_where_to_set_one(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worded as diff's preflight words it: one message, the same three places."""
    from farflow.deploy.region import REGION_PROBLEM

    for name in [name for name in os.environ if name.startswith("AWS_") or name.startswith("CDK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(project / "no-aws-config"))  # no profile region either
    config = project / "farflow.toml"
    config.write_text(config.read_text().replace('region = "us-east-1"', 'region = ""'))
    result = runner.invoke(app, ["synth", "--project", str(project)])
    assert result.exit_code == 1
    assert result.stderr == f"error: {REGION_PROBLEM}\n"
    assert preflight.REGION_PROBLEM == REGION_PROBLEM
    assert not (project / "cdk.out").exists()


def test_synth_takes_the_region_of_the_aws_profile(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in os.environ if name.startswith("AWS_") or name.startswith("CDK_")]:
        monkeypatch.delenv(name)
    (project / "aws-config").write_text("[default]\nregion = eu-north-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(project / "aws-config"))
    config = project / "farflow.toml"
    config.write_text(config.read_text().replace('region = "us-east-1"', 'region = ""'))
    regions: list[str] = []
    synthesized = types.SimpleNamespace(
        synth=lambda project, config, outdir: regions.append(config.project.region) or outdir
    )
    monkeypatch.setitem(sys.modules, "farflow.deploy.app", synthesized)
    assert runner.invoke(app, ["synth", "--project", str(project)]).exit_code == 0
    assert regions == ["eu-north-1"]


def test_init_into_a_project_names_config_only(tmp_path: Path) -> None:
    (tmp_path / "dags").mkdir()
    result = runner.invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert "--config-only" in result.output


@pytest.mark.parametrize("command", ["synth", "deploy", "diff", "destroy", "bootstrap"])
def test_a_project_without_farflow_toml_is_sent_to_init(tmp_path: Path, command: str) -> None:
    result = runner.invoke(app, [command, "--project", str(tmp_path)])
    assert result.exit_code == 1
    assert "has no farflow.toml" in result.output
    assert "--config-only" in result.output
    assert "Traceback" not in result.output


def test_a_bad_farflow_toml_stops_synth_with_its_key(project: Path) -> None:
    (project / "farflow.toml").write_text("[logs]\nretention_days = 10\n")
    result = runner.invoke(app, ["synth", "--project", str(project)])
    assert result.exit_code == 1
    assert "[logs] retention_days = 10" in result.output
    assert "retention_days = 7" in result.output
    assert "Traceback" not in result.output


def test_synth_passes_the_config_and_prints_the_templates(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Path, DeployConfig, Path]] = []

    def synth(project_dir: Path, config: DeployConfig, outdir: Path) -> Path:
        calls.append((project_dir, config, outdir))
        outdir.mkdir()
        (outdir / "farflow.template.json").write_text("{}")
        return outdir

    monkeypatch.setitem(sys.modules, "farflow.deploy.app", types.SimpleNamespace(synth=synth))
    (project / "farflow.toml").write_text('[project]\nname = "data"\n')
    result = runner.invoke(app, ["synth", "--project", str(project)])
    assert result.exit_code == 0, result.output
    assert calls == [
        (
            project,
            replace(DeployConfig(), project=replace(DeployConfig().project, name="data")),
            project / "cdk.out",
        )
    ]
    assert str(project / "cdk.out" / "farflow.template.json") in result.output


def test_synth_writes_a_template_without_aws(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    result = runner.invoke(app, ["synth", "--project", str(project)])
    assert result.exit_code == 0, result.output
    (template,) = (project / "cdk.out").glob("*.template.json")
    assert str(template) in result.output
    assert json.loads(template.read_text())["Resources"]


class Toolkit:
    """Stands in for `toolkit.run`: records each command and writes the outputs a real deploy would."""

    def __init__(self, code: int = 0, outputs: dict[str, Any] | None = None) -> None:
        self.code = code
        self.outputs = outputs
        self.commands: list[list[str]] = []

    def __call__(self, command: list[str], cwd: Path, environment: dict[str, str]) -> int:
        self.commands.append(command)
        assert environment["AWS_REGION"] == REGION
        if self.outputs is not None:
            path = Path(command[command.index("--outputs-file") + 1])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(self.outputs))
        return self.code


def use(monkeypatch: pytest.MonkeyPatch, probes: preflight.Probes, fake: Toolkit) -> Toolkit:
    monkeypatch.setattr(preflight, "aws_probes", lambda: probes)
    monkeypatch.setattr(toolkit, "run", fake)
    return fake


SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:farflow-admin-AbC"


def test_deploy_prints_the_ui_and_the_secret_command(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    leave_region_to_the_profile(project)
    outputs = {"farflow": {UI_URL_OUTPUT: "http://farflow.example", ADMIN_SECRET_OUTPUT: SECRET}}
    fake = use(monkeypatch, ready_probes(), Toolkit(outputs=outputs))
    result = runner.invoke(app, ["deploy", "--project", str(project), "--yes"])
    assert result.exit_code == 0, result.output
    (command,) = fake.commands
    assert command[2:5] == ["--yes", "aws-cdk@2.1148.1", "deploy"]
    assert command[-2:] == ["--require-approval", "never"]
    assert "Airflow UI: http://farflow.example" in result.output
    assert (
        f"aws secretsmanager get-secret-value --secret-id {SECRET} --query SecretString --output text "
        f"--region {REGION}"
    ) in result.output


@pytest.mark.parametrize(
    ("status", "first"), [(None, True), ("CREATE_FAILED", True), ("UPDATE_COMPLETE", False)]
)
def test_a_first_deploy_runs_without_rollback_and_says_so(
    project: Path, monkeypatch: pytest.MonkeyPatch, status: str | None, first: bool
) -> None:
    leave_region_to_the_profile(project)
    probes = replace(ready_probes(), stack_status=lambda region, name: status)
    fake = use(monkeypatch, probes, Toolkit(outputs={}))
    result = runner.invoke(app, ["deploy", "--project", str(project), "--yes"])
    assert result.exit_code == 0, result.output
    (command,) = fake.commands
    assert ("--no-rollback" in command) is first
    assert ("run `farflow deploy` again" in " ".join(result.output.split())) is first


def test_deploy_stops_before_the_toolkit_when_preflight_fails(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    leave_region_to_the_profile(project)
    probes = replace(
        ready_probes(), docker=lambda: "Cannot connect to the Docker daemon", region=lambda: None
    )
    fake = use(monkeypatch, probes, Toolkit())
    result = runner.invoke(app, ["deploy", "--project", str(project)])
    assert result.exit_code == 1
    assert fake.commands == []
    assert "`docker info` failed (Cannot connect to the Docker daemon)" in result.output
    assert "No AWS Region is set" in result.output


def test_deploy_of_a_new_project_asks_for_your_address_first(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = use(monkeypatch, ready_probes(), Toolkit())
    result = runner.invoke(app, ["deploy", "--project", str(project)])
    assert result.exit_code == 1
    assert fake.commands == []
    assert "[load_balancer] allowed_cidrs holds" in result.output
    assert "<your address>/32" in result.output
    assert "Traceback" not in result.output


def test_synth_refuses_a_login_open_to_the_internet_over_http(project: Path) -> None:
    config = project / "farflow.toml"
    config.write_text(config.read_text().replace('["192.0.2.1/32"]', '["0.0.0.0/0"]'))
    result = runner.invoke(app, ["synth", "--project", str(project)])
    assert result.exit_code == 1
    assert '[load_balancer] allowed_cidrs = ["0.0.0.0/0"]' in result.output
    assert "<your address>/32" in result.output
    assert not (project / "cdk.out").exists()


def test_a_failed_toolkit_run_is_a_failed_deploy(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    leave_region_to_the_profile(project)
    use(monkeypatch, ready_probes(), Toolkit(code=3))
    result = runner.invoke(app, ["deploy", "--project", str(project)])
    assert result.exit_code == 3
    assert "cdk deploy failed (exit code 3)" in result.output
    assert "Airflow UI" not in result.output


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["diff"], ["diff"]),
        (["destroy", "--yes"], ["destroy", "--force"]),
        (["bootstrap"], ["bootstrap", f"aws://{ACCOUNT}/{REGION}"]),
    ],
)
def test_other_commands_run_their_toolkit_action(
    project: Path, monkeypatch: pytest.MonkeyPatch, arguments: list[str], expected: list[str]
) -> None:
    leave_region_to_the_profile(project)
    fake = use(monkeypatch, replace(ready_probes(), docker=lambda: "no docker needed"), Toolkit())
    result = runner.invoke(app, [*arguments, "--project", str(project)])
    assert result.exit_code == 0, result.output
    (command,) = fake.commands
    assert command[4] == expected[0]
    assert all(part in command for part in expected)


@pytest.mark.parametrize("command", ["deploy", "diff", "destroy"])
def test_the_toolkit_is_not_run_for_a_project_without_its_airflow_dockerfile(
    project: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """They run the CDK app, which would stop on the same thing inside the toolkit's output."""
    leave_region_to_the_profile(project)
    (project / "Dockerfile").unlink()
    fake = use(monkeypatch, ready_probes(), Toolkit())
    answer = [] if command == "diff" else ["--yes"]  # diff asks nothing
    result = runner.invoke(app, [command, "--project", str(project), *answer])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {project / 'Dockerfile'} is missing")
    assert fake.commands == []


def test_bootstrap_needs_no_dockerfile(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    leave_region_to_the_profile(project)
    (project / "Dockerfile").unlink()
    fake = use(monkeypatch, ready_probes(), Toolkit())
    assert runner.invoke(app, ["bootstrap", "--project", str(project)]).exit_code == 0
    assert len(fake.commands) == 1
