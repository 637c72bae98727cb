"""moto's ECS API, with what a local Fargate needs on top: RunTask hands tasks to our runtime and honours
clientToken and capacity faults; StopTask stops processes (and answers an unknown task as ECS does);
DescribeTasks reports unknown tasks as MISSING failures; an injected server error answers a RunTask
HTTP 500 after its tasks were created; RegisterTaskDefinition lets the runtime warm up
the interpreter an Airflow task definition's tasks will fork from.

RunTask also refuses, as ECS does, a container override naming a container the task definition lacks
(moto would start the task without it) and a capacity provider strategy naming a provider the cluster
does not have associated (moto would start the task anyway; see `farflow.spec.cluster`). Also smooths three places where moto 5.2.5 answers HTTP 500 where ECS would not: RunTask for a task
definition whose containers have no container-level memory (normal on Fargate), an awsvpcConfiguration
without securityGroups (ECS uses the VPC's default group), and launchType EC2 on a cluster with no
container instances (ECS answers InvalidParameterException). Anything else moto cannot handle becomes a
ClientException naming the action, instead of an HTML 500 that botocore retries.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.core.utils import convert_to_flask_response
from moto.ecs.exceptions import EcsClientException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import DESCRIBE_TASKS_TAGS, EC2ContainerServiceResponse
from moto.moto_server.werkzeug_app import create_backend_app

from farflow.local.endpoint.faults import ERRORS, FaultSwitch
from farflow.local.endpoint.moto_state import ecs_backend
from farflow.local.endpoint.runtime import TaskRuntime
from farflow.spec.cluster import NOT_ASSOCIATED

logger = logging.getLogger(__name__)

CAPACITY_REASON = (
    "Capacity is unavailable at this time. Please try again later or in a different availability zone"
)
TASK_NOT_FOUND = "The referenced task was not found."
NO_CONTAINER_INSTANCES = "No Container Instances were found in your cluster."
SERVER_ERROR = "ServerException"


class InjectedServerError(JsonRESTError):  # type: ignore[misc]
    """ECS's HTTP 500 ServerException, injected after RunTask created its tasks (FaultSettings)."""

    code = ERRORS[SERVER_ERROR][0]

    def __init__(self) -> None:
        super().__init__(SERVER_ERROR, ERRORS[SERVER_ERROR][1])


class LocalEcsResponse(EC2ContainerServiceResponse):  # type: ignore[misc]
    """Bound to one endpoint by `response_class`, which sets the runtime and the current fault dice."""

    runtime: ClassVar[TaskRuntime]
    faults: ClassVar[FaultSwitch]

    @property
    def ecs_backend(self) -> Any:
        backend = ecs_backend(self.current_account, self.region)
        _tolerate_missing_container_memory(backend)
        return backend

    def call_action(self) -> Any:
        try:
            return super().call_action()
        except Exception as error:
            action = self._get_action()
            logger.warning("moto could not handle ECS %s.", action, exc_info=True)
            failure = EcsClientException(f"The local ECS endpoint could not handle {action}: {error}")
            return self.serialized(ActionResult(failure))

    def register_task_definition(self) -> ActionResult:
        result: ActionResult = super().register_task_definition()
        self.runtime.prewarm(self.ecs_backend, result.result["taskDefinition"].arn)
        return result

    def run_task(self) -> ActionResult:
        backend = self.ecs_backend
        cluster = backend._get_cluster(self._get_param("cluster", "default"))
        definition = backend.describe_task_definition(self._get_param("taskDefinition"))
        _check_override_names(self._get_param("overrides") or {}, definition)
        _check_capacity_providers(self._get_param("capacityProviderStrategy") or [], cluster)
        token = self._get_param("clientToken")
        if token:
            arns = self.runtime.client_tokens.replay(cluster.arn, token)
            if arns is not None:
                known = backend.tasks.get(cluster.name, {})
                return ActionResult({"tasks": [known[arn] for arn in arns], "failures": []})
        dice = self.faults.dice
        if dice.no_capacity():
            return ActionResult({"tasks": [], "failures": [{"arn": cluster.arn, "reason": CAPACITY_REASON}]})
        self._default_security_groups()
        try:
            tasks = list(super().run_task().result["tasks"])
        except Exception as error:
            if str(error).startswith("No instances found in cluster"):
                raise InvalidParameterException(NO_CONTAINER_INSTANCES) from None
            raise
        self.runtime.admit(backend, tasks, [dice.launch_outcome() for _ in tasks])
        if token and tasks:
            self.runtime.client_tokens.remember(cluster.arn, token, [task.task_arn for task in tasks])
        if tasks and dice.server_error():
            raise InjectedServerError  # the tasks run: a retry with the same clientToken gets them
        missing = self._get_int_param("count", 1) - len(tasks)
        failures = placement_failures(backend, cluster, definition) if missing > 0 else []
        return ActionResult({"tasks": tasks, "failures": failures})

    def _default_security_groups(self) -> None:
        network = self._get_param("networkConfiguration") or {}
        awsvpc = network.get("awsvpcConfiguration")
        if isinstance(awsvpc, dict):
            awsvpc.setdefault("securityGroups", [])

    def describe_tasks(self) -> ActionResult:
        backend = self.ecs_backend
        cluster = backend._get_cluster(self._get_param("cluster", "default"))
        refs = self._get_param("tasks") or []
        if not refs:
            raise InvalidParameterException("Tasks cannot be empty.")
        found, failures = find_tasks(backend, cluster, refs)
        if "TAGS" in (self._get_param("include") or []):
            self._include_in_response(DESCRIBE_TASKS_TAGS)
        else:
            self._exclude_from_response(DESCRIBE_TASKS_TAGS)
        return ActionResult({"tasks": found, "failures": failures})

    def stop_task(self) -> ActionResult:
        backend = self.ecs_backend
        cluster = backend._get_cluster(self._get_param("cluster", "default"))
        found, _ = find_tasks(backend, cluster, [self._get_param("task") or ""])
        if not found:
            raise InvalidParameterException(TASK_NOT_FOUND)
        if not self.runtime.request_stop(found[0], self._get_param("reason")):
            return super().stop_task()  # type: ignore[no-any-return]
        return ActionResult({"task": found[0]})


def _check_override_names(overrides: Any, definition: Any) -> None:
    """ECS's answer to a containerOverrides entry whose name is not a container of the task definition."""
    names = {item.get("name") for item in definition.container_definitions}
    for override in overrides.get("containerOverrides") or []:
        if override.get("name") not in names:
            raise InvalidParameterException(
                f"Override for container named {override.get('name')} is not a container in the TaskDefinition."
            )


def _check_capacity_providers(strategy: Sequence[Any], cluster: Any) -> None:
    """ECS's answer to a strategy naming a capacity provider that is not associated with the cluster."""
    associated = set(cluster.capacity_providers or [])
    for item in strategy:
        if item.get("capacityProvider") not in associated:
            raise InvalidParameterException(NOT_ASSOCIATED)


def find_tasks(backend: Any, cluster: Any, refs: Sequence[str]) -> tuple[list[Any], list[dict[str, str]]]:
    """Tasks of one cluster by ARN or id, in request order; the rest as ECS's MISSING failures."""
    by_arn: dict[str, Any] = backend.tasks.get(cluster.name, {})
    by_id = {arn.rsplit("/", 1)[-1]: task for arn, task in by_arn.items()}
    found: list[Any] = []
    failures: list[dict[str, str]] = []
    for ref in dict.fromkeys(refs):
        task = by_arn.get(ref) or by_id.get(ref.rsplit("/", 1)[-1])
        if task is None:
            failures.append({"arn": ref, "reason": "MISSING"})
        elif task not in found:
            found.append(task)
    return found, failures


def placement_failures(backend: Any, cluster: Any, definition: Any) -> list[dict[str, str]]:
    """ECS's per-instance RESOURCE:* failures when moto could not place every task on EC2 capacity."""
    needed = backend._calculate_task_resource_requirements(definition)
    failures = []
    for instance in backend.container_instances.get(cluster.name, {}).values():
        remaining = {item["name"]: item for item in instance.remaining_resources}
        if needed["CPU"] > remaining["CPU"]["integerValue"]:
            reason = "RESOURCE:CPU"
        elif needed["MEMORY"] > remaining["MEMORY"]["integerValue"]:
            reason = "RESOURCE:MEMORY"
        else:
            reason = "RESOURCE:PORTS"
        failures.append({"arn": instance.container_instance_arn, "reason": reason})
    return failures


def _requirements_without_container_memory(definition: Any) -> Any:
    """moto's resource sum, counting a container without memory or memoryReservation as 0 MiB."""
    shadow = copy.copy(definition)
    keys = ("memory", "memoryReservation", "Memory", "MemoryReservation")
    shadow.container_definitions = [
        item if any(item.get(key) is not None for key in keys) else {**item, "memory": 0}
        for item in definition.container_definitions
    ]
    return EC2ContainerServiceBackend._calculate_task_resource_requirements(shadow)


def _tolerate_missing_container_memory(backend: Any) -> None:
    if backend.__dict__.get("_calculate_task_resource_requirements") is None:
        backend._calculate_task_resource_requirements = _requirements_without_container_memory


def response_class(runtime: TaskRuntime, faults: FaultSwitch) -> type[LocalEcsResponse]:
    """LocalEcsResponse bound to one endpoint's runtime and faults."""
    return type("LocalEcsResponse", (LocalEcsResponse,), {"runtime": runtime, "faults": faults})


def app_factory(ecs_response: type[LocalEcsResponse]) -> Callable[[str], Any]:
    """moto's per-service Flask app factory, with our ECS responses in place of moto's."""

    def create_app(service: str) -> Any:
        app = create_backend_app(service)
        if service == "ecs":
            replaced = 0
            for name, view in list(app.view_functions.items()):
                if getattr(getattr(view, "callback", None), "__self__", None) is EC2ContainerServiceResponse:
                    app.view_functions[name] = convert_to_flask_response(ecs_response.dispatch)
                    replaced += 1
            if not replaced:
                raise RuntimeError("moto's ECS app has no EC2ContainerServiceResponse view; is moto 5.2.5?")
        return app

    return create_app
