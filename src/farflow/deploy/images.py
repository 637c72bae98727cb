"""Container images built from the project at deploy time (synth only stages the build contexts).

Built for linux/amd64, the platform of the task definitions, whatever the deploying machine is. The
Airflow image's context gets the running farflow as a wheel (`farflow_wheel`), so the image's executor
is the deploying one.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Annotations, IgnoreMode
from aws_cdk import aws_ecr_assets as ecr_assets
from constructs import Construct

from farflow.deploy import farflow_wheel
from farflow.deploy.dockerfile import AIRFLOW_DOCKERFILE, check_dockerfile


def airflow_image(scope: Construct, construct_id: str, project: Path) -> ecr_assets.DockerImageAsset:
    """The image every Airflow process and task runs: the project's Dockerfile, pinned to this farflow.

    Stages this farflow's wheel into the project first: the asset's hash is taken from the build context
    when the asset is created.
    """
    check_dockerfile(project)
    staged = farflow_wheel.stage(project)
    image = ecr_assets.DockerImageAsset(
        scope,
        construct_id,
        directory=str(project),
        file=AIRFLOW_DOCKERFILE,
        platform=ecr_assets.Platform.LINUX_AMD64,
        build_args={"FARFLOW_VERSION": staged.version},
        ignore_mode=IgnoreMode.DOCKER,
    )
    if staged.wheel is None:
        Annotations.of(image).add_warning_v2(
            "farflow:no-wheel",
            f"This farflow ({staged.version}) has no installed metadata, so no wheel of it is staged in "
            f"{staged.folder}; the image installs farflow=={staged.version} from the package index. "
            "Install farflow (pip install -e <checkout>) to put this one in the image.",
        )
    return image


def folder_image(scope: Construct, construct_id: str, folder: Path) -> ecr_assets.DockerImageAsset:
    """The image of one tasks/<name> folder, from its own Dockerfile."""
    return ecr_assets.DockerImageAsset(
        scope,
        construct_id,
        directory=str(folder),
        platform=ecr_assets.Platform.LINUX_AMD64,
        ignore_mode=IgnoreMode.DOCKER,
    )
