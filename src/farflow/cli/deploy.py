"""`farflow synth`, `deploy`, `diff`, `destroy` and `bootstrap`: the stack on AWS, through the CDK toolkit."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from farflow.cli.common import ProjectOption, errors, fail, plain
from farflow.terminal import diagnostic

if TYPE_CHECKING:
    from farflow.deploy.config import DeployConfig
    from farflow.deploy.preflight import Preflight


YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Answer the CDK toolkit's prompts with yes.")]


def _deploy_config(project: Path) -> DeployConfig:
    from farflow.deploy.config_file import DeployConfigError, load

    try:
        return load(project)
    except DeployConfigError as error:
        raise fail(str(error), 1) from None


def _check_dockerfile(project: Path) -> None:
    from farflow.deploy.dockerfile import MissingDockerfileError, check_dockerfile

    try:
        check_dockerfile(project)
    except MissingDockerfileError as error:
        raise fail(str(error), 1) from None


def _with_region(config: DeployConfig) -> DeployConfig:
    """`config` with the Region resolved as the deploy commands resolve it: farflow.toml, the
    environment, the AWS profile. One line naming the three places if none has one."""
    from dataclasses import replace

    from farflow.deploy.region import REGION_PROBLEM, profile_region, resolve_region

    region = resolve_region(config.project.region, os.environ, profile_region)
    if not region:
        raise fail(REGION_PROBLEM, 1)
    return replace(config, project=replace(config.project, region=region))


def synth(project: ProjectOption = Path(".")) -> None:
    """Write the stack's CloudFormation template to <project>/cdk.out: no AWS credentials, Docker or network."""
    config = _with_region(_deploy_config(project))
    _check_dockerfile(project)  # before anything is written into cdk.out
    try:
        from farflow.deploy.app import synth as synthesize
    except ModuleNotFoundError as error:
        raise fail(_missing_cdk(error), 1) from None
    from farflow.spec import TaskFolderError

    try:
        assembly = synthesize(project, config, project / "cdk.out")
    except TaskFolderError as error:
        raise fail(str(error), 1) from None
    templates = sorted(assembly.glob("*.template.json"))
    plain(f"Synthesized {len(templates)} template(s) into {assembly}:")
    for template in templates:
        plain(f"  {template}")


def _missing_cdk(error: ModuleNotFoundError) -> str:
    if error.name and error.name.split(".")[0] in {"aws_cdk", "constructs", "cdk_nag", "jsii"}:
        return f"The CDK libraries are not installed ({error.name}): pip install 'farflow[deploy]'."
    return f"This farflow cannot synthesize: {error}."


SYNTHESIZING_ACTIONS = frozenset({"deploy", "diff", "destroy"})
"""The toolkit actions that run the CDK app (bootstrap names its environment and synthesizes nothing)."""


def _toolkit(action: str, project: Path, yes: bool) -> Preflight:
    """Load the config, run preflight, then the CDK toolkit; exit non-zero with the reason on any failure."""
    from farflow.deploy import preflight, toolkit

    config = _deploy_config(project)
    if action in SYNTHESIZING_ACTIONS:
        _check_dockerfile(project)
    checked = preflight.preflight(action, config, preflight.aws_probes(), project)
    for note in checked.notes:
        diagnostic(errors, "note", "bold yellow", note)
    if not checked.ok or checked.node is None:
        for problem in checked.problems[:-1]:
            diagnostic(errors, "error", "bold red", problem)
        raise fail(checked.problems[-1], 1)
    environment = f"aws://{checked.account}/{checked.region}"
    command = toolkit.cdk_command(
        checked.node,
        action,
        project.resolve(),
        environment=environment,
        yes=yes,
        first_deploy=checked.first_deploy,
    )
    if checked.first_deploy:
        diagnostic(errors, "note", "bold yellow", toolkit.FIRST_DEPLOY_NOTE)
    plain(f"{environment}: running {shlex.join(command)}")
    code = toolkit.run(command, project, toolkit.toolkit_environment(checked.node, checked.region))
    if code != 0:
        raise fail(f"cdk {action} failed (exit code {code}); its output above says why.", code)
    return checked


def deploy(project: ProjectOption = Path("."), yes: YesOption = False) -> None:
    """Build the images, deploy the stack to AWS, push dags/ into its DAG bundle, and print the UI's URL.
    Needs Node.js, Docker, AWS."""
    from farflow.deploy import toolkit

    path = toolkit.outputs_path(project.resolve())
    path.unlink(missing_ok=True)  # so a deploy that writes none cannot show the last one's
    checked = _toolkit("deploy", project, yes)
    outputs = toolkit.read_outputs(path.read_text()) if path.is_file() else None
    for line in toolkit.deploy_summary(outputs, checked.region):
        plain(line)
    from farflow.dags.after_deploy import push_after_deploy

    for line in push_after_deploy(project, path, checked.region):
        plain(line)


def diff(project: ProjectOption = Path(".")) -> None:
    """Show what a deploy would change in the deployed stack. Needs Node.js and AWS credentials."""
    _toolkit("diff", project, yes=False)


def destroy(project: ProjectOption = Path("."), yes: YesOption = False) -> None:
    """Delete the stack; first set the database's deletion_protection = false in farflow.toml and deploy."""
    _toolkit("destroy", project, yes)


def bootstrap(project: ProjectOption = Path(".")) -> None:
    """Prepare the account and Region for CDK deploys (once): the CDKToolkit stack and its asset bucket."""
    _toolkit("bootstrap", project, yes=False)
