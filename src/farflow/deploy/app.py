"""The CDK app of `farflow deploy`: `python -m farflow.deploy.app --project DIR` (what cdk.json runs).

Builds one FarflowStack from the project folder and its farflow.toml, with cdk-nag's checks on every
synth. Synth needs no AWS credentials, no Docker and no network: image builds happen at deploy time.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from aws_cdk import App

from farflow.deploy import config_file
from farflow.deploy.config import DeployConfig, stack_name
from farflow.deploy.config_file import DeployConfigError
from farflow.deploy.dockerfile import MissingDockerfileError, check_dockerfile
from farflow.deploy.nag import checked_app
from farflow.deploy.stack import FarflowStack, FarflowStackProps, MissingRegionError, stack_environment
from farflow.spec import TaskFolderError

USER_ERRORS = (DeployConfigError, MissingDockerfileError, MissingRegionError, TaskFolderError)
"""What the project or environment gets wrong: each one line naming the fix, never a traceback."""

OUTDIR_VARIABLE = "CDK_OUTDIR"
DEFAULT_OUTDIR = "cdk.out"


def build_app(project: Path, config: DeployConfig, outdir: Path) -> App:
    """The app, not yet synthesized: one farflow stack for `project` with `config`.

    What the project or environment lacks is refused before the app writes anything into `outdir`.
    """
    check_dockerfile(project)
    env = stack_environment(config, os.environ)
    app = checked_app(outdir)
    FarflowStack(
        app, stack_name(config), FarflowStackProps(project=project.resolve(), config=config, env=env)
    )
    return app


def synth(project: Path, config: DeployConfig, outdir: Path) -> Path:
    """Synthesize into `outdir` (fails, listing them, on cdk-nag findings) and return it."""
    build_app(project, config, outdir).synth()
    return outdir


def assembly_folder(project: Path, environ: Mapping[str, str]) -> Path:
    """Where the cloud assembly goes: the toolkit's CDK_OUTDIR, else cdk.out in the project."""
    return Path(environ.get(OUTDIR_VARIABLE) or project / DEFAULT_OUTDIR)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m farflow.deploy.app", description=__doc__)
    parser.add_argument("--project", type=Path, default=Path(), help="the farflow project folder")
    arguments = parser.parse_args(argv)
    project: Path = arguments.project
    try:
        config = config_file.load(project)  # required: farflow.toml says what to deploy
        synth(project, config, assembly_folder(project, os.environ))
    except USER_ERRORS as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
