"""Task definition shapes: the Airflow task container and one per `tasks/<name>` folder.

Shapes, not API calls: the local seed turns them into RegisterTaskDefinition requests, the deploy into
CDK FargateTaskDefinitions. Images, environments and roles are the renderers' business.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from farflow.spec.names import RESERVED_FOLDERS, Names

FAMILY_NAME = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
LOG_STREAM_PREFIX = "ecs"


class TaskFolderError(ValueError):
    """A tasks/<name> folder cannot become a task definition; the message names the folder and the fix."""


@dataclass(frozen=True)
class ContainerShape:
    name: str
    command: tuple[str, ...] | None
    log_group: str
    log_stream_prefix: str
    stop_timeout: int


@dataclass(frozen=True)
class TaskDefinitionShape:
    family: str
    cpu: int
    memory: int
    container: ContainerShape
    # The folder whose Dockerfile builds the image (None: the Airflow image).
    folder: Path | None = None


def airflow_task_shape(names: Names, cpu: int = 2048, memory: int = 4096) -> TaskDefinitionShape:
    """The task definition farflow's executor runs every Airflow task in (sized by `[ecs_fargate]`
    defaults; `executor_config` resizes a task at RunTask time)."""
    return TaskDefinitionShape(
        family=names.airflow_family,
        cpu=cpu,
        memory=memory,
        container=ContainerShape(
            name=names.airflow_container,
            # The executor overrides the command with each task's workload.
            command=None,
            log_group=names.airflow_log_group,
            log_stream_prefix="airflow",
            stop_timeout=30,
        ),
    )


AIRFLOW_TASK_SHAPE = airflow_task_shape(Names())


def dockerfile_command(text: str) -> tuple[str, ...] | None:
    """The last CMD of a Dockerfile as an argv (exec form or shell form), or None if it has none."""
    command: list[str] | None = None
    for line in text.replace("\\\n", " ").splitlines():
        stripped = line.strip()
        if not stripped.upper().startswith("CMD "):
            continue
        argument = stripped[4:].strip()
        if argument.startswith("["):
            try:
                parsed = json.loads(argument)
            except json.JSONDecodeError:
                parsed = None
            command = [str(part) for part in parsed] if isinstance(parsed, list) else shlex.split(argument)
        else:
            command = ["/bin/sh", "-c", argument]
    return tuple(command) if command else None


def task_folders(project: Path) -> list[Path]:
    """`tasks/<name>` folders that hold a Dockerfile, sorted by name."""
    tasks = project / "tasks"
    if not tasks.is_dir():
        return []
    return sorted(folder for folder in tasks.iterdir() if (folder / "Dockerfile").is_file())


def folder_task_shape(folder: Path, names: Names, cpu: int = 256, memory: int = 512) -> TaskDefinitionShape:
    """The task definition of one tasks/<name> folder: container <name>, its Dockerfile's CMD."""
    name = folder.name
    if not FAMILY_NAME.match(name):
        raise TaskFolderError(
            f"Task folder {folder} cannot name an ECS task definition: use only letters, digits, '-' and "
            "'_' (at most 200 characters). Rename the folder."
        )
    if name in RESERVED_FOLDERS:
        raise TaskFolderError(
            f"Task folder {folder}: tasks/{name} is reserved, as farflow names the Airflow task "
            f"definition {names.airflow_family} and its roles airflow-task, which this folder's task "
            "definition and roles would take. Rename the folder."
        )
    return TaskDefinitionShape(
        family=names.folder_family(name),
        cpu=cpu,
        memory=memory,
        container=ContainerShape(
            name=name,
            command=dockerfile_command((folder / "Dockerfile").read_text()),
            log_group=names.task_log_group,
            log_stream_prefix=LOG_STREAM_PREFIX,
            stop_timeout=10,
        ),
        folder=folder,
    )


def project_task_shapes(project: Path, names: Names) -> list[TaskDefinitionShape]:
    return [folder_task_shape(folder, names) for folder in task_folders(project)]
