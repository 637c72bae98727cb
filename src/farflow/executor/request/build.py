"""The task layers of a RunTask request: what one launch of one Airflow task puts on top of the base.

The task's command carries an Airflow JWT, so it never appears in an error message.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from farflow.executor.request.executor_config import (
    ExecutorConfig,
    InvalidTaskRequest,
    parse_executor_config,
)
from farflow.executor.request.merge import deep_merge, merge_keyed_list
from farflow.executor.request.quantities import parse_cpu, parse_memory
from farflow.executor.request.rules import (
    Platform,
    awsvpc_of,
    container_overrides_problem,
    fragment_problem,
    overrides_size_problem,
    placement_problem,
    platform_of,
    tags_problem,
)
from farflow.executor.request.shape import run_task_problems
from farflow.executor.request.tags import MAX_TAGS, tags_to_list, tags_to_map
from farflow.executor.settings import ExecutorSettings, where
from farflow.spec.fargate_sizes import (
    FARGATE_MEMORY,
    fargate_size_problem,
    nearest_fargate_size,
    smallest_cpu_for,
    smallest_memory_for,
)

MAX_STARTED_BY_CHARS = 36
MAX_CLIENT_TOKEN_CHARS = 64
EXECUTOR_OWNED_KEYS = ("cluster", "clientToken", "startedBy", "count")
"""Top-level RunTask keys farflow sets itself; the tracker and idempotency depend on them."""


@dataclass(frozen=True)
class LaunchSpec:
    """What one launch of one Airflow task needs beyond the settings."""

    command: tuple[str, ...]
    """The Airflow workload command; never appears in errors or logs."""
    executor_config: Mapping[str, Any]
    """The task's executor_config (may be empty)."""
    client_token: str
    started_by: str
    """At most 36 characters (ECS's limit); identifies this executor."""
    tags: Mapping[str, str]
    """The executor's own tags (farflow:executor, dag/task ids, ...); users cannot override them."""


def client_token(*parts: object) -> str:
    """A RunTask clientToken: the same parts give the same token, so a retried call is idempotent.

    64 lowercase hex characters (ECS allows up to 64 ASCII characters). Parts are JSON-encoded
    before hashing, so ("a", "b") and ("a,b",) and (None,) and ("None",) all differ.
    """
    payload = json.dumps(["farflow-client-token/1", *parts], default=str, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def task_definition_of(base: Mapping[str, Any], executor_config: Mapping[str, Any] | None) -> str:
    """The task definition a task's request names: executor_config `run_task`'s, else its
    `task_definition`, else the settings'. Known before the request is built (the workload store's key
    depends on it); raises InvalidTaskRequest for bad executor_config."""
    parsed = parse_executor_config(executor_config)
    return str(parsed.run_task.get("taskDefinition") or parsed.task_definition or base["taskDefinition"])


def check_fargate_size(cpu: int, memory: int) -> None:
    """Raise InvalidTaskRequest naming the nearest valid pair unless Fargate accepts (cpu, memory)."""
    problem = fargate_size_problem(cpu, memory)
    if problem:
        raise InvalidTaskRequest(problem)


def build_run_task_request(
    settings: ExecutorSettings, base: Mapping[str, Any], spec: LaunchSpec
) -> dict[str, Any]:
    """The RunTask request for one launch of one task; raises InvalidTaskRequest for bad executor_config."""
    _check_spec(spec)
    executor_config = parse_executor_config(spec.executor_config)
    request: dict[str, Any] = copy.deepcopy(dict(base))
    if executor_config.task_definition:
        request["taskDefinition"] = executor_config.task_definition
    if executor_config.capacity_provider:
        request.pop("launchType", None)
        request["capacityProviderStrategy"] = [
            {"capacityProvider": executor_config.capacity_provider, "weight": 1}
        ]
        _fit_to_platform(request, explicit={})
    _apply_sizes(request, executor_config, platform_of(request))
    _apply_container(request, settings.container_name, spec.command, executor_config)
    request["tags"] = _merged_tags(request.get("tags") or [], executor_config.tags, spec.tags)
    request["startedBy"] = spec.started_by
    request["clientToken"] = spec.client_token
    request = _apply_raw(request, executor_config, settings.container_name, spec)
    _check_final(request, settings.container_name, spec)
    return request


def _check_spec(spec: LaunchSpec) -> None:
    # These are the executor's own values, not the user's; still fail one task, not the scheduler.
    if not spec.command or not all(isinstance(part, str) for part in spec.command):
        raise InvalidTaskRequest("farflow built an empty or non-text command for this task (a farflow bug).")
    if not 1 <= len(spec.started_by) <= MAX_STARTED_BY_CHARS:
        raise InvalidTaskRequest(
            f"startedBy {spec.started_by!r} must be 1-{MAX_STARTED_BY_CHARS} characters (ECS's limit)."
        )
    if not 1 <= len(spec.client_token) <= MAX_CLIENT_TOKEN_CHARS or not spec.client_token.isascii():
        raise InvalidTaskRequest(f"clientToken must be 1-{MAX_CLIENT_TOKEN_CHARS} ASCII characters.")


def _fit_to_platform(request: dict[str, Any], explicit: Mapping[str, Any]) -> None:
    """After a task moves to an EC2 capacity provider, drop what only Fargate accepts."""
    if platform_of(request) != "ec2":
        return
    if "platformVersion" not in explicit:
        request.pop("platformVersion", None)
    awsvpc = awsvpc_of(request)
    if awsvpc.get("assignPublicIp") == "ENABLED":
        raise InvalidTaskRequest(
            "this task runs on an EC2 capacity provider, which cannot assign public IPs, but "
            f"{where('assign_public_ip')} is True; use a Fargate capacity provider for this task."
        )
    awsvpc.pop("assignPublicIp", None)


def _apply_sizes(request: dict[str, Any], executor_config: ExecutorConfig, platform: Platform) -> None:
    if executor_config.gpu is not None and platform != "ec2":
        raise InvalidTaskRequest(
            f"executor_config 'gpu' needs EC2: Fargate has no GPUs. Set {where('launch_type')} to EC2, "
            "or give this task an EC2 capacity provider with executor_config 'capacity_provider'."
        )
    if executor_config.ephemeral_storage_gib is not None:
        if platform != "fargate":
            raise InvalidTaskRequest(
                "executor_config 'ephemeral_storage_gib' is for Fargate tasks only; on EC2, size the "
                "instance's volume instead."
            )
        request.setdefault("overrides", {})["ephemeralStorage"] = {
            "sizeInGiB": executor_config.ephemeral_storage_gib
        }
    cpu, memory = executor_config.cpu, executor_config.memory
    if platform == "fargate" and (cpu is not None or memory is not None):
        cpu, memory = _fargate_pair(cpu, memory)
        check_fargate_size(cpu, memory)
    if cpu is not None:
        request.setdefault("overrides", {})["cpu"] = str(cpu)
    if memory is not None:
        request.setdefault("overrides", {})["memory"] = str(memory)


def _fargate_pair(cpu: int | None, memory: int | None) -> tuple[int, int]:
    """Fill the missing half of a Fargate size with the smallest partner that is valid."""
    if cpu is not None and memory is None:
        partner = smallest_memory_for(cpu)
        if partner is None:
            near = nearest_fargate_size(cpu, 0)
            raise InvalidTaskRequest(
                f"executor_config 'cpu' {cpu} is not a Fargate CPU size (one of "
                f"{', '.join(map(str, FARGATE_MEMORY))}); the nearest valid size is "
                f"cpu={near[0]}, memory={near[1]}."
            )
        return cpu, partner
    if memory is not None and cpu is None:
        found = smallest_cpu_for(memory)
        if found is None:
            near = nearest_fargate_size(0, memory)
            raise InvalidTaskRequest(
                f"executor_config 'memory' {memory} MiB is not allowed with any Fargate CPU size; "
                f"the nearest valid size is cpu={near[0]}, memory={near[1]}."
            )
        return found, memory
    assert cpu is not None and memory is not None
    return cpu, memory


def _apply_container(
    request: dict[str, Any], container_name: str, command: tuple[str, ...], executor_config: ExecutorConfig
) -> None:
    overrides = request.setdefault("overrides", {})
    containers = overrides.setdefault("containerOverrides", [])
    entry = next((item for item in containers if item.get("name") == container_name), None)
    if entry is None:
        entry = {"name": container_name}
        containers.insert(0, entry)
    entry["command"] = list(command)
    if executor_config.env:
        env = [{"name": name, "value": value} for name, value in executor_config.env.items()]
        entry["environment"] = merge_keyed_list(entry.get("environment") or [], env, "name")
    if executor_config.gpu is not None:
        gpu = [{"type": "GPU", "value": str(executor_config.gpu)}]
        entry["resourceRequirements"] = merge_keyed_list(entry.get("resourceRequirements") or [], gpu, "type")


def _merged_tags(
    config_tags: list[Any], task_tags: Mapping[str, str], executor_tags: Mapping[str, str]
) -> list[dict[str, str]]:
    clash = sorted(set(task_tags) & set(executor_tags))
    if clash:
        raise InvalidTaskRequest(
            f"executor_config 'tags' sets {', '.join(map(repr, clash))}, which farflow sets itself to "
            "track the task; choose other tag keys."
        )
    merged = tags_to_map(config_tags)
    merged.update(task_tags)
    merged.update(executor_tags)
    return tags_to_list(merged)


def _apply_raw(
    request: dict[str, Any], executor_config: ExecutorConfig, container_name: str, spec: LaunchSpec
) -> dict[str, Any]:
    """Merge executor_config `overrides`, then `run_task`, refusing what farflow must own."""
    if executor_config.overrides:
        problem = container_overrides_problem(executor_config.overrides, container_name)
        if problem:
            raise InvalidTaskRequest(f"executor_config 'overrides': {problem}")
        request["overrides"] = deep_merge(request.get("overrides") or {}, executor_config.overrides)
    fragment = executor_config.run_task
    if not fragment:
        return request
    owned = [key for key in EXECUTOR_OWNED_KEYS if key in fragment]
    if owned:
        raise InvalidTaskRequest(
            f"executor_config 'run_task' sets {', '.join(owned)}, which farflow sets itself; remove "
            f"{'it' if len(owned) == 1 else 'them'}."
        )
    problem = fragment_problem(fragment, container_name, reserved_tags=set(spec.tags))
    if problem:
        raise InvalidTaskRequest(f"executor_config 'run_task': {problem}")
    if "launchType" in fragment:
        request.pop("capacityProviderStrategy", None)
    if "capacityProviderStrategy" in fragment:
        request.pop("launchType", None)
    merged = deep_merge(request, fragment)
    _fit_to_platform(merged, explicit=fragment)
    return merged


def _check_final(request: dict[str, Any], container_name: str, spec: LaunchSpec) -> None:
    """Checks on the finished request, after every layer had its say."""
    containers = request["overrides"]["containerOverrides"]
    airflow = [
        item for item in containers if isinstance(item, Mapping) and item.get("name") == container_name
    ]
    if len(airflow) != 1 or airflow[0].get("command") != list(spec.command):
        raise InvalidTaskRequest(
            f"the request must have exactly one containerOverrides entry for the Airflow container "
            f"{container_name!r}, with farflow's command; check executor_config 'overrides' and 'run_task'."
        )
    problem = placement_problem(request)
    if problem:
        raise InvalidTaskRequest(f"the finished request: {problem}")
    platform = platform_of(request)
    if platform == "fargate" and not awsvpc_of(request).get("subnets"):
        raise InvalidTaskRequest(
            f"this task runs on Fargate, which needs subnets; set {where('subnets')} (a task moved to "
            "Fargate by 'capacity_provider' or 'spot' needs them too)."
        )
    if platform == "fargate":
        _check_final_size(request["overrides"])
    tags = request.get("tags") or []
    if len(tags) > MAX_TAGS:
        raise InvalidTaskRequest(
            f"the task would have {len(tags)} tags, over ECS's limit of {MAX_TAGS}; farflow uses "
            f"{len(spec.tags)} of them, so trim executor_config 'tags' or the tags in {where('run_task_kwargs')}."
        )
    problem = tags_problem([tag for tag in tags if tag.get("key") not in spec.tags], reserved_tags=set())
    if problem:
        raise InvalidTaskRequest(problem)
    problem = overrides_size_problem(request["overrides"])
    if problem:
        raise InvalidTaskRequest(problem)
    problems = run_task_problems(request)
    if problems:
        raise InvalidTaskRequest(
            f"the RunTask request is not valid for ECS: {'; '.join(problems)}. Check executor_config "
            f"'overrides' and 'run_task' (and {where('run_task_kwargs')})."
        )


def _check_final_size(overrides: Mapping[str, Any]) -> None:
    """Raw overrides may have set cpu and memory too; a Fargate task must still get a valid pair."""
    if "cpu" not in overrides or "memory" not in overrides:
        return
    try:
        cpu, memory = parse_cpu(overrides["cpu"]), parse_memory(overrides["memory"])
    except ValueError as error:
        raise InvalidTaskRequest(f"overrides cpu/memory: {error}.") from None
    check_fargate_size(cpu, memory)
