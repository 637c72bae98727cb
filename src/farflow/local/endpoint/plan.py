"""What each container of a task runs locally, from its definition and RunTask's overrides (pure).

Only essential containers run: they decide when the task stops. Sidecars (log routers, agents) have no
local stand-in: they follow the task's status and report exit code 0 once it has run.

A container's environment, lowest precedence first: the endpoint's base_env; what the endpoint injects
(AWS_ENDPOINT_URL, AWS_REGION, AWS_DEFAULT_REGION and keys that name the task role, which the endpoint
maps back to the role: `farflow.local.roles`; no credentials at all without a task role, as on Fargate); the
definition's environment; the override's environment; FARFLOW_ECS_TASK_ARN, which is always the task's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from farflow.local.endpoint.image_resolver import ImageNotFoundError, ImageResolver
from farflow.local.endpoint.lifecycle import DEFAULT_STOP_TIMEOUT, memory_mib
from farflow.local.endpoint.logs import LogSetupError, LogTarget, log_target
from farflow.local.roles import credentials

TASK_ARN_KEY = "FARFLOW_ECS_TASK_ARN"
# Where a process finds AWS credentials besides keys in its environment. A task definition without a task
# role gives its containers no credentials on Fargate (no AWS_CONTAINER_CREDENTIALS_* and no instance
# metadata), so an SDK there raises NoCredentialsError; locally such a task must not find the developer's
# ~/.aws either, nor wait on the instance metadata service.
NO_CREDENTIALS: Mapping[str, str] = {
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
# Credentials a task never inherits from the endpoint's own environment: its task role's keys, or none.
CREDENTIAL_VARIABLES = frozenset(
    {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"}
)


class StartFailure(Exception):
    """A task cannot start; the message is its stoppedReason (never the command, which may hold tokens)."""


@dataclass(frozen=True)
class ContainerPlan:
    name: str
    argv: tuple[str, ...] = field(repr=False)  # Airflow's command holds a workload token: keep it
    cwd: Path | None  # out of reprs and logs, like the environment
    env: Mapping[str, str] = field(repr=False)
    memory_mib: int | None
    stop_timeout: float
    log: LogTarget | None


@dataclass(frozen=True)
class TaskContext:
    """What every container of one task shares."""

    task_arn: str
    account: str
    region: str
    endpoint_url: str
    base_env: Mapping[str, str] = field(repr=False)
    task_role_arn: str = ""

    @property
    def role_keys(self) -> dict[str, str]:
        """The keys the task's containers call AWS with: they name its task role; without one, none."""
        if not self.task_role_arn:
            return dict(NO_CREDENTIALS)
        return credentials(self.task_role_arn.rsplit("/", 1)[-1])

    @property
    def task_id(self) -> str:
        return self.task_arn.rsplit("/", 1)[-1]


def task_memory_mib(overrides: Mapping[str, Any], definition_memory: object) -> int | None:
    """The task-level memory limit: RunTask's override, else the task definition's."""
    try:
        return memory_mib(overrides.get("memory")) or memory_mib(definition_memory)
    except ValueError as error:
        raise StartFailure(f"CannotStartContainerError: task {error}") from None


def _pairs(items: Sequence[Mapping[str, str]] | None) -> dict[str, str]:
    return {item["name"]: item.get("value", "") for item in items or () if "name" in item}


def environment(
    context: TaskContext, definition: Mapping[str, Any], override: Mapping[str, Any]
) -> dict[str, str]:
    return {
        **{key: value for key, value in context.base_env.items() if key not in CREDENTIAL_VARIABLES},
        "AWS_ENDPOINT_URL": context.endpoint_url,
        "AWS_REGION": context.region,
        "AWS_DEFAULT_REGION": context.region,
        **context.role_keys,
        **_pairs(definition.get("environment")),
        **_pairs(override.get("environment")),
        TASK_ARN_KEY: context.task_arn,
    }


def plan_container(
    context: TaskContext, definition: Mapping[str, Any], override: Mapping[str, Any], images: ImageResolver
) -> ContainerPlan:
    name = str(definition.get("name"))
    command = list(definition.get("entryPoint") or []) + list(
        override.get("command") or definition.get("command") or []
    )
    if not command:
        raise StartFailure(
            f"CannotStartContainerError: container {name!r} has no command, and local images have no default "
            "CMD; set command in the task definition or in RunTask's containerOverrides."
        )
    try:
        image = images.resolve(str(definition.get("image", "")), command)
        log = log_target(definition, context.task_id, context.account, context.region)
        memory = memory_mib(override.get("memory")) or memory_mib(definition.get("memory"))
    except (ImageNotFoundError, LogSetupError) as error:
        raise StartFailure(str(error)) from None
    except ValueError as error:
        raise StartFailure(f"CannotStartContainerError: container {name!r} {error}") from None
    return ContainerPlan(
        name=name,
        argv=image.argv,
        cwd=image.cwd,
        env=environment(context, definition, override),
        memory_mib=memory,
        stop_timeout=float(definition.get("stopTimeout") or DEFAULT_STOP_TIMEOUT),
        log=log,
    )


def essential(definition: Mapping[str, Any]) -> bool:
    """ECS's default: a container is essential unless its definition says otherwise."""
    return bool(definition.get("essential", True))


def plan_task(
    context: TaskContext,
    definitions: Sequence[Mapping[str, Any]],
    overrides: Mapping[str, Any],
    images: ImageResolver,
) -> dict[str, ContainerPlan]:
    """A plan per essential container, by name; StartFailure if any of them cannot start."""
    by_name = {item.get("name"): item for item in overrides.get("containerOverrides") or ()}
    return {
        str(item["name"]): plan_container(context, item, by_name.get(item["name"], {}), images)
        for item in definitions
        if essential(item)
    }
