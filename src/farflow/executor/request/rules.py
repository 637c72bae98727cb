"""Rules about RunTask request fragments, shared by the config base and the per-task layers.

Each `*_problem` function returns None or a sentence saying what is wrong; the caller adds which
setting it came from and raises ConfigError or InvalidTaskRequest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Set
from typing import Any, Literal

from farflow.executor.request.tags import tag_problem
from farflow.spec.cluster import CAPACITY_PROVIDERS

MAX_OVERRIDES_CHARS = 8192

Platform = Literal["fargate", "ec2", "unknown"]


def platform_of(request: Mapping[str, Any]) -> Platform:
    """Where a request runs: Fargate (launch type or FARGATE/FARGATE_SPOT provider), EC2, or unknown."""
    strategy = request.get("capacityProviderStrategy")
    if strategy and isinstance(strategy, list):
        providers = {item.get("capacityProvider") for item in strategy if isinstance(item, Mapping)}
        return "fargate" if providers & set(CAPACITY_PROVIDERS) else "ec2"
    launch_type = request.get("launchType")
    if launch_type == "FARGATE":
        return "fargate"
    if launch_type == "EC2":
        return "ec2"
    return "unknown"  # the cluster's default strategy, EXTERNAL or MANAGED_INSTANCES


def awsvpc_of(request: Mapping[str, Any]) -> dict[str, Any]:
    """The request's awsvpcConfiguration (the live dict, so callers may edit it), or {}."""
    network = request.get("networkConfiguration")
    awsvpc = network.get("awsvpcConfiguration") if isinstance(network, dict) else None
    return awsvpc if isinstance(awsvpc, dict) else {}


def tags_problem(tags: object, reserved_tags: Set[str]) -> str | None:
    """Why user-given ECS tags (a [{key, value}] list) cannot be used, or None; `reserved_tags` are farflow's."""
    if not isinstance(tags, list) or not all(isinstance(tag, Mapping) for tag in tags):
        return "tags must be a list of {'key': ..., 'value': ...} objects."
    for tag in tags:
        if tag.get("key") in reserved_tags:
            return f"{tag['key']!r} is a tag farflow sets itself to track the task; choose another key."
        problem = tag_problem(tag.get("key"), tag.get("value", ""))
        if problem:
            return f"{problem}."
    return None


def fragment_problem(fragment: Mapping[str, Any], container_name: str, reserved_tags: Set[str]) -> str | None:
    """Why a raw RunTask fragment from the user cannot be merged, or None.

    The rules `[ecs_fargate] run_task_kwargs` and a task's executor_config 'run_task' share; what
    each may not set of farflow's own (cluster, clientToken, ...) its caller checks.
    """
    problem = placement_problem(fragment)
    if problem is None and "overrides" in fragment:
        overrides = fragment["overrides"]
        problem = container_overrides_problem(overrides, container_name) or overrides_size_problem(overrides)
    if problem is None and "tags" in fragment:
        problem = tags_problem(fragment["tags"], reserved_tags)
    return problem


def placement_problem(request: Mapping[str, Any]) -> str | None:
    """ECS takes a launch type or a capacity provider strategy, never both."""
    if "launchType" in request and "capacityProviderStrategy" in request:
        return "it sets both launchType and capacityProviderStrategy; ECS accepts only one."
    return None


def container_overrides_problem(overrides: object, container_name: str) -> str | None:
    """Why a user-given `overrides` object may not be merged, or None if it may."""
    if not isinstance(overrides, Mapping):
        return "overrides must be an object in ECS's TaskOverride shape."
    if "containerOverrides" not in overrides:
        return None
    containers = overrides["containerOverrides"]
    if not isinstance(containers, list):
        return "containerOverrides must be a list of objects, each with the container's name."
    for item in containers:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            return (
                "every containerOverrides entry needs the container's 'name' (entries are matched "
                f"by name; the Airflow container is {container_name!r})."
            )
        if item["name"] == container_name and "command" in item:
            return (
                f"it sets the command of the Airflow container {container_name!r}; farflow sets that "
                "command to run the task, so remove 'command'."
            )
    names = [item["name"] for item in containers]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        return f"containerOverrides names {', '.join(map(repr, repeated))} more than once; give each once."
    return None


def overrides_size_problem(overrides: object) -> str | None:
    size = len(json.dumps(overrides or {}, separators=(",", ":"), default=str))
    if size <= MAX_OVERRIDES_CHARS:
        return None
    return (
        f"the RunTask overrides are {size} characters, over ECS's {MAX_OVERRIDES_CHARS} limit; move "
        "large env values into the task definition or a secret (AWS Secrets Manager / SSM), and keep "
        "overrides small."
    )
