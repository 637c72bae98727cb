"""Task definitions rendered from the spec's shapes: the Airflow task's, and one per tasks/<name> folder.

Families, containers, log groups and stream prefixes come from the shapes (and so from `Names`), which
is what the executor's `[ecs_fargate]` settings and the sample DAG's FARFLOW_* variables point at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from constructs import Construct

from farflow.deploy.containers import AirflowRuntime, add_airflow_container, fargate_task_definition
from farflow.deploy.images import folder_image
from farflow.spec import AIRFLOW_TASK, TaskDefinitionShape


def shaped_task_definition(
    scope: Construct, construct_id: str, shape: TaskDefinitionShape
) -> ecs.FargateTaskDefinition:
    """A Fargate task definition with the shape's family and size."""
    return fargate_task_definition(scope, construct_id, shape.cpu, shape.memory, family=shape.family)


@dataclass(frozen=True)
class AirflowTaskDefinitionProps:
    shape: TaskDefinitionShape
    runtime: AirflowRuntime


class AirflowTaskDefinition(Construct):
    """The task definition farflow's executor runs every Airflow task in (no database, no JWT secret)."""

    def __init__(self, scope: Construct, construct_id: str, props: AirflowTaskDefinitionProps) -> None:
        super().__init__(scope, construct_id)
        shape = props.shape
        self.task_definition = shaped_task_definition(self, "TaskDefinition", shape)
        add_airflow_container(
            self.task_definition,
            AIRFLOW_TASK,
            props.runtime,
            name=shape.container.name,
            stream_prefix=shape.container.log_stream_prefix,
            command=shape.container.command,
            stop_timeout=shape.container.stop_timeout,
        )


@dataclass(frozen=True)
class FolderTaskDefinitionsProps:
    shapes: list[TaskDefinitionShape]
    # Log groups by name: each shape names the one its container writes to.
    log_groups: Mapping[str, logs.ILogGroup]


class FolderTaskDefinitions(Construct):
    """One task definition per tasks/<name> folder, its image built from the folder's Dockerfile."""

    def __init__(self, scope: Construct, construct_id: str, props: FolderTaskDefinitionsProps) -> None:
        super().__init__(scope, construct_id)
        self.task_definitions: list[ecs.FargateTaskDefinition] = []
        for shape in props.shapes:
            folder = shape.folder
            if folder is None:
                raise ValueError(f"Task definition shape {shape.family} has no folder to build an image from")
            self.task_definitions.append(self._render(shape, folder, props.log_groups))

    def _render(
        self, shape: TaskDefinitionShape, folder: Path, log_groups: Mapping[str, logs.ILogGroup]
    ) -> ecs.FargateTaskDefinition:
        scope = Construct(self, folder.name)
        task_definition = shaped_task_definition(scope, "TaskDefinition", shape)
        container = shape.container
        task_definition.add_container(
            container.name,
            container_name=container.name,
            image=ecs.ContainerImage.from_docker_image_asset(folder_image(scope, "Image", folder)),
            command=list(container.command) if container.command else None,
            logging=ecs.LogDrivers.aws_logs(
                stream_prefix=container.log_stream_prefix, log_group=log_groups[container.log_group]
            ),
            stop_timeout=Duration.seconds(container.stop_timeout),
            essential=True,
        )
        return task_definition
