"""A task's `executor_config`, checked and typed: every key, what it accepts, and the error if not.

Kept apart from request building so the user-facing contract (docs/configuration.md) reads as one
list, and every bad value fails with the key's name and the fix before anything reaches AWS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from farflow.executor.request.quantities import parse_cpu, parse_memory
from farflow.executor.request.tags import tag_problem
from farflow.spec.cluster import FARGATE_SPOT_PROVIDER

EPHEMERAL_STORAGE_GIB = (21, 200)

EXECUTOR_CONFIG_KEYS: Mapping[str, str] = {
    "cpu": "task CPU units (1024 = 1 vCPU), or '0.5 vCPU'",
    "memory": "task memory in MiB, or '4 GB'",
    "gpu": "GPUs for the Airflow container (EC2 only)",
    "ephemeral_storage_gib": "Fargate ephemeral storage, 21-200 GiB",
    "env": "extra environment variables for the Airflow container",
    "task_definition": "another task definition family, family:revision or ARN",
    "capacity_provider": f"run on this capacity provider, e.g. {FARGATE_SPOT_PROVIDER}",
    "spot": f"true is short for capacity_provider {FARGATE_SPOT_PROVIDER}",
    "tags": "extra ECS tags for the task",
    "overrides": "a raw ECS RunTask `overrides` object, merged last",
    "run_task": "a raw RunTask request fragment, merged last",
}
"""Every key a task's executor_config may have, with a one-line summary."""


class InvalidTaskRequest(ValueError):
    """Bad per-task executor_config; str(e) is shown to the user as a task event."""


@dataclass(frozen=True)
class ExecutorConfig:
    """A task's executor_config after checking; None / empty means "not given"."""

    cpu: int | None = None
    memory: int | None = None
    gpu: int | None = None
    ephemeral_storage_gib: int | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    task_definition: str | None = None
    capacity_provider: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    overrides: Mapping[str, Any] = field(default_factory=dict)
    run_task: Mapping[str, Any] = field(default_factory=dict)


def parse_executor_config(given: Mapping[str, Any] | None) -> ExecutorConfig:
    """Check every key of a task's executor_config; raise InvalidTaskRequest naming the key and fix."""
    if given is None:
        return ExecutorConfig()
    if not isinstance(given, Mapping):
        raise InvalidTaskRequest(
            f"executor_config must be a dict, not {type(given).__name__}; "
            "e.g. executor_config={'cpu': 1024}."
        )
    unknown = sorted(str(key) for key in given if key not in EXECUTOR_CONFIG_KEYS)
    if unknown:
        raise InvalidTaskRequest(
            f"executor_config has unknown key(s) {', '.join(map(repr, unknown))}; "
            f"farflow accepts: {', '.join(EXECUTOR_CONFIG_KEYS)}."
        )
    return ExecutorConfig(
        cpu=_optional(given, "cpu", parse_cpu),
        memory=_optional(given, "memory", parse_memory),
        gpu=_optional(given, "gpu", _gpu),
        ephemeral_storage_gib=_optional(given, "ephemeral_storage_gib", _storage),
        env=_env(given.get("env")),
        task_definition=_optional(given, "task_definition", _name),
        capacity_provider=_capacity_provider(given),
        tags=_tags(given.get("tags")),
        overrides=_raw(given, "overrides"),
        run_task=_raw(given, "run_task"),
    )


def _optional(given: Mapping[str, Any], key: str, parse: Any) -> Any:
    value = given.get(key)
    if value is None:
        return None
    try:
        return parse(value)
    except ValueError as error:
        raise InvalidTaskRequest(f"executor_config {key!r} is {_show(value)}: {error}.") from None


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _whole(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise ValueError("not a whole number")


def _gpu(value: object) -> int:
    try:
        count = _whole(value)
    except ValueError:
        count = 0
    if count < 1:
        raise ValueError("give a whole number of GPUs, at least 1")
    return count


def _storage(value: object) -> int:
    low, high = EPHEMERAL_STORAGE_GIB
    try:
        size = _whole(value)
    except ValueError:
        size = 0
    if not low <= size <= high:
        raise ValueError(f"give a whole number of GiB from {low} to {high} (Fargate's range)")
    return size


def _name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("give a non-empty string")
    return value.strip()


def _capacity_provider(given: Mapping[str, Any]) -> str | None:
    provider: str | None = _optional(given, "capacity_provider", _name)
    spot = given.get("spot")
    if spot is None or spot is False:
        return provider
    if spot is not True:
        raise InvalidTaskRequest(f"executor_config 'spot' is {_show(spot)}; use True or False.")
    if provider is not None and provider != FARGATE_SPOT_PROVIDER:
        raise InvalidTaskRequest(
            f"executor_config has spot=True and capacity_provider={provider!r}; spot=True means "
            f"capacity_provider={FARGATE_SPOT_PROVIDER!r}, so give only one of them."
        )
    return FARGATE_SPOT_PROVIDER


def _env(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidTaskRequest(
            "executor_config 'env' must be a dict of name -> string value, e.g. {'LOG_LEVEL': 'debug'}."
        )
    for name, item in value.items():
        if not isinstance(name, str) or not name:
            raise InvalidTaskRequest(
                f"executor_config 'env' has the name {_show(name)}; use a non-empty string."
            )
        if not isinstance(item, str):
            # The value may be sensitive, so only its type is named.
            raise InvalidTaskRequest(
                f"executor_config 'env' value for {name!r} has type {type(item).__name__}; "
                "environment values must be strings (wrap it in str())."
            )
    return dict(value)


def _tags(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidTaskRequest("executor_config 'tags' must be a dict of key -> string value.")
    for key, item in value.items():
        problem = tag_problem(key, item)
        if problem:
            raise InvalidTaskRequest(f"executor_config 'tags': {problem}.")
    return dict(value)


def _raw(given: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = given.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidTaskRequest(
            f"executor_config {key!r} must be a dict in ECS RunTask's own shape, not {type(value).__name__}."
        )
    return dict(value)
