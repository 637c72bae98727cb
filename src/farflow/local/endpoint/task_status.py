"""Writes the runtime's view of a task into moto's Task model, which is what DescribeTasks, ListTasks and
StopTask serialise. Callers hold MOTO_LOCK.

moto fills the response from model attributes (status, started_at, stopped_at, stop_code,
stopped_reason; a container's last_status, exitCode and reason), so setting them is all it takes. moto
also moves tasks along by itself on each DescribeTasks; `show_provisioning` switches that off for the
task, so only our lifecycle thread changes its status (per task, not with moto's process-wide state_manager,
so other moto users in the same process keep moto's default behaviour).

Every change written here also counts up the task's `version` and publishes an ECS Task State Change
event (eventbridge.py), as ECS does: this is the one place a task's status changes.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from typing import Any

from moto.core.utils import utcnow
from moto.ecs.models import Container

from farflow.local.endpoint import eventbridge
from farflow.local.endpoint.lifecycle import PENDING, PROVISIONING, RUNNING, STOPPED, ContainerExit, Ending
from farflow.spec.cluster import CAPACITY_PROVIDERS


def show_provisioning(model: Any, definition: Any) -> None:
    """A task moto just created, as ECS shows it at first: PROVISIONING, createdAt, one container per
    definition, and the task-level fields moto leaves out. Also freezes moto's own status changes."""
    model._transitions = []  # moto's ManagedState: without transitions, only we change the status
    count = len(definition.container_definitions)
    model.containers = [_container(model, definition, index) for index in range(count)]
    model.status = PROVISIONING
    model.desired_status = RUNNING
    model.created_at = utcnow()
    overrides = model.overrides or {}
    model.cpu = overrides.get("cpu") or definition.cpu
    model.memory = overrides.get("memory") or definition.memory
    if not model.launch_type and model.capacity_provider_name in CAPACITY_PROVIDERS:
        model.launch_type = "FARGATE"  # what ECS reports for tasks placed by the FARGATE(_SPOT) providers
    _changed(model)


def _changed(model: Any) -> None:
    """A new version of the task: DescribeTasks shows it, and an event tells the bus."""
    model.version = (getattr(model, "version", None) or 0) + 1
    eventbridge.task_changed(model)


def _container(model: Any, definition: Any, index: int) -> Any:
    spec: Mapping[str, Any] = definition.container_definitions[index]
    container = Container(definition)
    prefix = model.task_arn.replace(":task/", ":container/", 1)
    container.container_arn = f"{prefix}/{uuid.uuid4()}"
    container.task_arn = model.task_arn
    container.name = spec.get("name")
    container.image = spec.get("image")
    container.cpu = spec.get("cpu", 0)
    container.memory = spec.get("memory")
    container.environment = copy.deepcopy(spec.get("environment"))
    container.command = copy.deepcopy(spec.get("command"))
    container.last_status = PENDING
    container.exitCode = None  # moto starts it at 0, which would read as a clean exit
    return container


def show_status(model: Any, status: str) -> None:
    """PENDING with connectivityAt and pullStartedAt (the task's "image" is being made ready), or RUNNING
    with startedAt and every container RUNNING."""
    model.status = status
    now = utcnow()
    if status == PENDING:
        model.connectivity_at = model.pull_started_at = now
    if status == RUNNING:
        model.pull_started_at = getattr(model, "pull_started_at", None) or now
        model.pull_stopped_at = getattr(model, "pull_stopped_at", None) or now
        model.started_at = now
        for container in model.containers:
            container.last_status = RUNNING
    _changed(model)


def show_pulled(model: Any) -> None:
    """pullStoppedAt: the stand-ins of the task's images are ready (ECS publishes no event for it)."""
    model.pull_stopped_at = utcnow()


def show_stop_requested(model: Any, ending: Ending) -> None:
    """StopTask's immediate effect: desiredStatus STOPPED and why; lastStatus follows when it is done."""
    model.desired_status = STOPPED
    model.stopping_at = utcnow()
    model.stop_code = ending.stop_code
    model.stopped_reason = ending.reason
    _changed(model)


def show_stopped(model: Any, ending: Ending, exits: Mapping[int, ContainerExit]) -> None:
    """STOPPED with the ending; containers that ran get their exit code (by container index)."""
    now = utcnow()
    model.status = STOPPED
    model.desired_status = STOPPED
    model.stop_code = ending.stop_code
    model.stopped_reason = ending.reason
    model.stopping_at = getattr(model, "stopping_at", None) or now
    model.execution_stopped_at = model.stopped_at = now
    for index, container in enumerate(model.containers):
        container.last_status = STOPPED
        end = exits.get(index)
        container.exitCode = end.exit_code if end else None
        if end and end.reason:
            container.reason = end.reason
    _changed(model)


def release_placement(backend: Any, model: Any) -> None:
    """Give an EC2 task's CPU and memory back to its container instance, as moto's StopTask would."""
    arn = model.container_instance_arn
    if not arn:
        return
    instance = backend.container_instances.get(model.cluster_name, {}).get(arn.rsplit("/", 1)[-1])
    if instance is None or model.resource_requirements is None:
        return
    backend.update_container_instance_resources(instance, model.resource_requirements, removing=True)
    backend.update_cluster_resources(backend._get_cluster(model.cluster_name), -1, task_state="RUNNING")
