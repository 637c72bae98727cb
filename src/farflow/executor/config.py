"""Reads `[ecs_fargate]` into typed settings, with errors that name the key, its variable and the fix."""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from farflow.executor.options import OPTIONS_BY_NAME, SECTION

LAUNCH_TYPES = ("FARGATE", "EC2")


class ConfigError(ValueError):
    """The executor's configuration is unusable; the message says which key and how to fix it."""


@dataclass(frozen=True)
class ExecutorSettings:
    region: str
    cluster: str
    container_name: str
    task_definition: str
    launch_type: str | None = "FARGATE"
    platform_version: str | None = "LATEST"
    assign_public_ip: bool = False
    security_groups: tuple[str, ...] = ()
    subnets: tuple[str, ...] = ()
    run_task_kwargs: Mapping[str, Any] = field(default_factory=dict)
    capacity_provider_strategy: tuple[Mapping[str, Any], ...] = ()
    conn_id: str | None = None
    endpoint_url: str | None = None
    check_health_on_startup: bool = True
    run_task_rate: float = 20.0
    run_task_burst: int = 100
    launch_concurrency: int = 16
    capacity_retry_seconds: float = 600.0
    max_relaunches: int = 3
    poll_interval: float = 2.0
    credentials_log_interval: float = 60.0


Reader = Callable[[str], "str | None"]


def where(key: str) -> str:
    """How error messages name a key: its section, name and environment variable."""
    return f"[{SECTION}] {key} (environment variable {OPTIONS_BY_NAME[key].env_var})"


_where = where


def _text(read: Reader, key: str) -> str | None:
    value = read(key)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _required(read: Reader, key: str) -> str:
    value = _text(read, key)
    if value is None:
        raise ConfigError(f"{_where(key)} is not set; farflow's executor needs it. Set it and restart.")
    return value


def _bool(read: Reader, key: str) -> bool:
    value = _text(read, key) or OPTIONS_BY_NAME[key].default or "False"
    lowered = value.lower()
    if lowered in {"true", "1", "yes", "on"}:
        return True
    if lowered in {"false", "0", "no", "off"}:
        return False
    raise ConfigError(f"{_where(key)} is {value!r}; use True or False.")


def _number(read: Reader, key: str, kind: type[int] | type[float], minimum: float) -> Any:
    value = _text(read, key) or OPTIONS_BY_NAME[key].default
    noun = "an integer" if kind is int else "a number"
    try:
        number = kind(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"{_where(key)} is {value!r}; use {noun} >= {minimum}.") from None
    if not math.isfinite(number) or number < minimum:
        raise ConfigError(f"{_where(key)} is {value!r}; use {noun} >= {minimum}.")
    return number


def _csv(read: Reader, key: str) -> tuple[str, ...]:
    value = _text(read, key)
    return tuple(part.strip() for part in value.split(",") if part.strip()) if value else ()


def _import_dict(path: str) -> Any:
    module_name, _, attribute = path.rpartition(".")
    if not module_name:
        raise ImportError(path)
    return getattr(importlib.import_module(module_name), attribute)


def _run_task_kwargs(read: Reader) -> dict[str, Any]:
    value = _text(read, "run_task_kwargs")
    if value is None:
        return {}
    if value.startswith(("{", "[")):
        try:
            loaded = json.loads(value)
        except json.JSONDecodeError as error:
            raise ConfigError(f"{_where('run_task_kwargs')} is not valid JSON: {error}.") from None
    else:
        try:
            loaded = _import_dict(value)
        except (ImportError, AttributeError) as error:
            raise ConfigError(
                f"{_where('run_task_kwargs')} names {value!r}, which cannot be imported ({error}); "
                "give a JSON object or a dotted path such as my_module.RUN_TASK_KWARGS."
            ) from None
    if not isinstance(loaded, dict):
        raise ConfigError(
            f"{_where('run_task_kwargs')} must be a JSON object or a dict, not {type(loaded).__name__}."
        )
    return loaded


def _capacity_strategy(read: Reader) -> tuple[Mapping[str, Any], ...]:
    value = _text(read, "capacity_provider_strategy")
    if value is None:
        return ()
    try:
        loaded = json.loads(value)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{_where('capacity_provider_strategy')} is not valid JSON: {error}.") from None
    if not isinstance(loaded, list) or not all(
        isinstance(item, dict) and "capacityProvider" in item for item in loaded
    ):
        raise ConfigError(
            f"{_where('capacity_provider_strategy')} must be a JSON list of objects with "
            '"capacityProvider", e.g. [{"capacityProvider": "FARGATE_SPOT", "weight": 1}].'
        )
    return tuple(loaded)


def load_settings(read: Reader) -> ExecutorSettings:
    """Build settings from a `read(key)` that returns the raw `[ecs_fargate]` value or None."""
    run_task_kwargs = _run_task_kwargs(read)
    strategy = _capacity_strategy(read)
    explicit_launch_type = _text(read, "launch_type")
    if (
        strategy
        and explicit_launch_type
        and explicit_launch_type.upper() != OPTIONS_BY_NAME["launch_type"].default
    ):
        raise ConfigError(
            f"{_where('launch_type')} and {_where('capacity_provider_strategy')} are exclusive; unset one."
        )
    launch_type = None if strategy else (explicit_launch_type or "FARGATE").upper()
    if launch_type is not None and launch_type not in LAUNCH_TYPES:
        raise ConfigError(f"{_where('launch_type')} is {explicit_launch_type!r}; use FARGATE or EC2.")
    task_definition = _text(read, "task_definition") or run_task_kwargs.get("taskDefinition")
    if not task_definition:
        raise ConfigError(
            f"{_where('task_definition')} is not set; name the task definition that runs Airflow tasks."
        )
    platform_version = _text(read, "platform_version") if launch_type != "EC2" else None
    return ExecutorSettings(
        region=_required(read, "region"),
        cluster=_required(read, "cluster"),
        container_name=_required(read, "container_name"),
        task_definition=str(task_definition),
        launch_type=launch_type,
        platform_version=platform_version,
        assign_public_ip=_bool(read, "assign_public_ip"),
        security_groups=_csv(read, "security_groups"),
        subnets=_csv(read, "subnets"),
        run_task_kwargs=run_task_kwargs,
        capacity_provider_strategy=strategy,
        conn_id=_text(read, "conn_id"),
        endpoint_url=_text(read, "endpoint_url"),
        check_health_on_startup=_bool(read, "check_health_on_startup"),
        run_task_rate=_number(read, "run_task_rate", float, 0.01),
        run_task_burst=_number(read, "run_task_burst", int, 1),
        launch_concurrency=_number(read, "launch_concurrency", int, 1),
        capacity_retry_seconds=_number(read, "capacity_retry_seconds", float, 0),
        max_relaunches=_number(read, "max_relaunches", int, 0),
        poll_interval=_number(read, "poll_interval", float, 0.05),
        credentials_log_interval=_number(read, "credentials_log_interval", float, 0),
    )


def settings_from_mapping(values: Mapping[str, Any]) -> ExecutorSettings:
    """Settings from a plain dict of `[ecs_fargate]` keys (tests, benchmarks, the local stack).

    Values may be native: a dict or list is written as JSON, a list of ids for `subnets` or
    `security_groups` as the comma-separated text the option expects.
    """
    return load_settings(lambda key: _as_option_text(key, values.get(key)))


def _as_option_text(key: str, value: Any) -> str | None:
    if value is None:
        return None
    if key in _CSV_KEYS and isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value)
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value)
    return str(value)


_CSV_KEYS = frozenset({"security_groups", "subnets"})
