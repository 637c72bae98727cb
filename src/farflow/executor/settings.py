"""The `[ecs_fargate]` section: its keys, each written once with its default, and typed settings read from it.

The option table below is the only place a default is written. Airflow shows it (`airflow config list`,
through farflow.provider), docs/configuration.md repeats it (a test compares the two), and
`load_settings` fills every unset key from it. Errors name the key, its environment variable and the fix.
Only the standard library (and farflow.workload.reference and farflow.spec, which need no more) is imported
here: the provider entry point reads this module without Airflow.
"""

from __future__ import annotations

import importlib
import json
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from farflow.executor.prices import DEFAULT_PRICES, PriceError, PriceTable, with_overrides
from farflow.spec.cluster import FARGATE_PROVIDER, FARGATE_SPOT_PROVIDER
from farflow.workload.reference import StoreLocation, StoreUrlError, parse_store_url

log = logging.getLogger(__name__)

SECTION = "ecs_fargate"
LAUNCH_TYPES = ("FARGATE", "EC2")


@dataclass(frozen=True)
class Option:
    """One `[ecs_fargate]` key, as `airflow config list --defaults` shows it."""

    name: str
    description: str
    type: str = "string"
    default: str | None = None
    example: str | None = None
    required: bool = False
    renamed_to: str | None = None
    """Set on an old name still read (Airflow's `version_deprecated` convention): the key replacing it."""
    version_deprecated: str | None = None

    @property
    def env_var(self) -> str:
        return f"AIRFLOW__{SECTION.upper()}__{self.name.upper()}"


OPTIONS: tuple[Option, ...] = (
    Option("region", "AWS Region of the ECS cluster.", example="us-east-1", required=True),
    Option("cluster", "Name or ARN of the ECS cluster that runs the tasks.", required=True),
    Option(
        "container_name",
        "Name of the Airflow container in the task definition; it receives the task's command.",
        required=True,
    ),
    Option(
        "task_definition",
        "Task definition family (optionally family:revision or ARN) for Airflow tasks.",
        required=True,
    ),
    Option(
        "launch_type",
        "FARGATE or EC2. Leave empty when capacity_provider_strategy is set.",
        default="FARGATE",
    ),
    Option("platform_version", "Fargate platform version; dropped for EC2.", default="LATEST"),
    Option("assign_public_ip", "Give Fargate tasks a public IP.", type="boolean", default="False"),
    Option("security_groups", "Comma-separated security group ids.", example="sg-123,sg-456"),
    Option("subnets", "Comma-separated subnet ids (required for awsvpc tasks).", example="subnet-1,subnet-2"),
    Option(
        "run_task_kwargs",
        "Base of every RunTask request: a JSON object, or a dotted import path to a Python dict.",
        example='{"tags": [{"key": "team", "value": "data"}]}',
    ),
    Option(
        "capacity_provider_strategy",
        "JSON list of capacity providers and weights; exclusive with launch_type.",
        example=json.dumps(
            [
                {"capacityProvider": FARGATE_SPOT_PROVIDER, "weight": 3},
                {"capacityProvider": FARGATE_PROVIDER, "weight": 1, "base": 1},
            ]
        ),
    ),
    Option("conn_id", "Airflow AWS connection id (needs the Amazon provider); empty uses boto3's chain."),
    Option(
        "endpoint_url",
        "An endpoint other than AWS's for ECS, SQS and the workload store, e.g. farflow's local endpoint.",
    ),
    Option(
        "workload_store",
        "Where each task's workload (which holds its Airflow token) waits for its container: an "
        "s3://bucket/prefix/ URL, readable only by the task role. Empty sends it in the RunTask command, "
        "where anyone allowed ecs:DescribeTasks can read it.",
        example="s3://my-farflow-workloads/workloads/",
    ),
    Option(
        "check_health_on_startup",
        "Check the cluster and permissions when the scheduler starts, and refuse to start if they fail.",
        type="boolean",
        default="True",
    ),
    Option("run_task_rate", "Sustained RunTask calls per second (AWS: 20).", type="float", default="20"),
    Option("run_task_burst", "RunTask burst size (AWS: 100).", type="integer", default="100"),
    Option(
        "launch_concurrency",
        "RunTask calls in flight at once; enough to reach run_task_rate at the endpoint's latency.",
        type="integer",
        default="16",
    ),
    Option(
        "capacity_retry_seconds",
        "How long a task waits for Fargate or Spot capacity before it fails. With task_start_seconds it "
        "must fit in [scheduler] task_queued_timeout, the lifetime of the task's Airflow token.",
        type="float",
        default="420",
    ),
    Option(
        "task_start_seconds",
        "Time an ECS task may need from RunTask until its container starts (image pull included). "
        "A launch is given up when the task's Airflow token has less than this left.",
        type="float",
        default="120",
    ),
    Option(
        "max_relaunches",
        "Relaunches of a task that stopped before its container started (Spot, image pull, ENI).",
        type="integer",
        default="3",
    ),
    Option("poll_interval", "Seconds between DescribeTasks rounds.", type="float", default="2"),
    Option(
        "events_queue_url",
        "URL of the SQS queue an EventBridge rule sends this cluster's ECS Task State Change events to. "
        "Set: task state changes come from the queue and DescribeTasks only reconciles. Empty: polling.",
        example="https://sqs.eu-west-1.amazonaws.com/111122223333/farflow-task-events",
    ),
    Option(
        "reconcile_interval",
        "With events_queue_url: seconds without an event after which a task is described, so a lost "
        "event delays a task's end by about this long. 10,000 quiet tasks cost 10000/100/120 = 0.83 "
        "DescribeTasks calls a second at the default.",
        type="float",
        default="120",
    ),
    Option(
        "fargate_prices",
        f"JSON object overriding keys of the price table each task's cost is computed from "
        f"(farflow.executor.prices: {DEFAULT_PRICES.region} prices of {DEFAULT_PRICES.taken}; Spot estimated).",
        example='{"region": "eu-west-1", "taken": "2026-11-01", "x86_64_vcpu_hour": 0.04456}',
    ),
    Option(
        "warning_interval",
        "Seconds between repeated warnings about one ongoing problem: missing or expired credentials, "
        "failing RunTask or DescribeTasks calls, an unreadable events queue.",
        type="float",
        default="60",
    ),
    Option(
        "credentials_log_interval",
        "Deprecated: the old name of warning_interval, read only while warning_interval is unset or at "
        "its default.",
        type="float",
        renamed_to="warning_interval",
        version_deprecated="0.1.0",
    ),
)

OPTIONS_BY_NAME = {option.name: option for option in OPTIONS}
CURRENT_OPTIONS = tuple(option for option in OPTIONS if option.renamed_to is None)
"""The keys ExecutorSettings has a field for: every one but the old names still read."""


class ConfigError(ValueError):
    """The executor's configuration is unusable; the message says which key and how to fix it."""


@dataclass(frozen=True)
class ExecutorSettings:
    """The `[ecs_fargate]` section, typed. No field has a default of its own: `load_settings` fills
    every unset key from the option table, so the docs, `airflow config list` and the executor agree."""

    region: str
    cluster: str
    container_name: str
    task_definition: str
    launch_type: str | None
    platform_version: str | None
    assign_public_ip: bool
    security_groups: tuple[str, ...]
    subnets: tuple[str, ...]
    run_task_kwargs: Mapping[str, Any]
    capacity_provider_strategy: tuple[Mapping[str, Any], ...]
    conn_id: str | None
    endpoint_url: str | None
    workload_store: StoreLocation | None
    check_health_on_startup: bool
    run_task_rate: float
    run_task_burst: int
    launch_concurrency: int
    capacity_retry_seconds: float
    task_start_seconds: float
    max_relaunches: int
    poll_interval: float
    events_queue_url: str | None
    reconcile_interval: float
    fargate_prices: PriceTable
    warning_interval: float


Reader = Callable[[str], "str | None"]


def where(key: str) -> str:
    """How error messages name a key: its section, name and environment variable."""
    return f"[{SECTION}] {key} (environment variable {OPTIONS_BY_NAME[key].env_var})"


def _text(read: Reader, key: str) -> str | None:
    value = read(key)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _value(read: Reader, key: str) -> str | None:
    """The key's text, or its default from the option table: the only place a default is written."""
    return _text(read, key) or OPTIONS_BY_NAME[key].default


def _required(read: Reader, key: str) -> str:
    value = _text(read, key)
    if value is None:
        raise ConfigError(f"{where(key)} is not set; farflow's executor needs it. Set it and restart.")
    return value


def _bool(read: Reader, key: str) -> bool:
    value = _value(read, key) or ""
    lowered = value.lower()
    if lowered in {"true", "1", "yes", "on"}:
        return True
    if lowered in {"false", "0", "no", "off"}:
        return False
    raise ConfigError(f"{where(key)} is {value!r}; use True or False.")


def _number(read: Reader, key: str, minimum: float) -> Any:
    """An "integer" or "float" key (the option table says which), at least `minimum`."""
    kind, noun = (int, "an integer") if OPTIONS_BY_NAME[key].type == "integer" else (float, "a number")
    value = _value(read, key)
    try:
        number = kind(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number < minimum:
        raise ConfigError(f"{where(key)} is {value!r}; use {noun} >= {minimum}.")
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
            raise ConfigError(f"{where('run_task_kwargs')} is not valid JSON: {error}.") from None
    else:
        try:
            loaded = _import_dict(value)
        except (ImportError, AttributeError) as error:
            raise ConfigError(
                f"{where('run_task_kwargs')} names {value!r}, which cannot be imported ({error}); "
                "give a JSON object or a dotted path such as my_module.RUN_TASK_KWARGS."
            ) from None
    if not isinstance(loaded, dict):
        raise ConfigError(
            f"{where('run_task_kwargs')} must be a JSON object or a dict, not {type(loaded).__name__}."
        )
    return loaded


def _capacity_strategy(read: Reader) -> tuple[Mapping[str, Any], ...]:
    value = _text(read, "capacity_provider_strategy")
    if value is None:
        return ()
    try:
        loaded = json.loads(value)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{where('capacity_provider_strategy')} is not valid JSON: {error}.") from None
    if not isinstance(loaded, list) or not all(
        isinstance(item, dict) and "capacityProvider" in item for item in loaded
    ):
        raise ConfigError(
            f"{where('capacity_provider_strategy')} must be a JSON list of objects with "
            f'"capacityProvider", e.g. {json.dumps([{"capacityProvider": FARGATE_SPOT_PROVIDER, "weight": 1}])}.'
        )
    return tuple(loaded)


def _workload_store(read: Reader) -> StoreLocation | None:
    value = _text(read, "workload_store")
    if value is None:
        return None
    try:
        return parse_store_url(value)
    except StoreUrlError as error:
        raise ConfigError(f"{where('workload_store')}: {error}") from None


def _prices(read: Reader) -> PriceTable:
    value = _text(read, "fargate_prices")
    if value is None:
        return DEFAULT_PRICES
    try:
        loaded = json.loads(value)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{where('fargate_prices')} is not valid JSON: {error}.") from None
    if not isinstance(loaded, dict):
        raise ConfigError(f'{where("fargate_prices")} must be a JSON object, e.g. {{"region": "eu-west-1"}}.')
    try:
        return with_overrides(DEFAULT_PRICES, loaded)
    except PriceError as error:
        raise ConfigError(f"{where('fargate_prices')}: {error}.") from None


def with_old_names(read: Reader) -> Reader:
    """`read`, answering a renamed key with its old name's value while only the old name is set (Airflow
    hands over the new key's default when it is unset), with one warning line per old name read."""

    def reading(key: str) -> Any:
        value = read(key)
        for old in OPTIONS:
            old_value = _text(read, old.name) if old.renamed_to == key else None
            if old_value is None:
                continue
            if _text(read, key) not in (None, OPTIONS_BY_NAME[key].default):
                log.warning(
                    "%s is deprecated and ignored: %s is set. Remove the old key.", where(old.name), key
                )
                continue
            log.warning(
                "%s is deprecated: rename it to %s. Its value %s is used.",
                where(old.name),
                where(key),
                old_value,
            )
            return old_value
        return value

    return reading


def load_settings(read: Reader) -> ExecutorSettings:
    """Build settings from a `read(key)` that returns the raw `[ecs_fargate]` value or None."""
    read = with_old_names(read)
    run_task_kwargs = _run_task_kwargs(read)
    strategy = _capacity_strategy(read)
    explicit_launch_type = _text(read, "launch_type")
    if (
        strategy
        and explicit_launch_type
        and explicit_launch_type.upper() != OPTIONS_BY_NAME["launch_type"].default
    ):
        raise ConfigError(
            f"{where('launch_type')} and {where('capacity_provider_strategy')} are exclusive; unset one."
        )
    launch_type = None if strategy else str(_value(read, "launch_type")).upper()
    if launch_type is not None and launch_type not in LAUNCH_TYPES:
        raise ConfigError(f"{where('launch_type')} is {explicit_launch_type!r}; use FARGATE or EC2.")
    task_definition = _text(read, "task_definition") or run_task_kwargs.get("taskDefinition")
    if not task_definition:
        raise ConfigError(
            f"{where('task_definition')} is not set; name the task definition that runs Airflow tasks."
        )
    platform_version = _value(read, "platform_version") if launch_type != "EC2" else None
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
        workload_store=_workload_store(read),
        check_health_on_startup=_bool(read, "check_health_on_startup"),
        run_task_rate=_number(read, "run_task_rate", 0.01),
        run_task_burst=_number(read, "run_task_burst", 1),
        launch_concurrency=_number(read, "launch_concurrency", 1),
        capacity_retry_seconds=_number(read, "capacity_retry_seconds", 0),
        task_start_seconds=_number(read, "task_start_seconds", 0),
        max_relaunches=_number(read, "max_relaunches", 0),
        poll_interval=_number(read, "poll_interval", 0.05),
        events_queue_url=_text(read, "events_queue_url"),
        reconcile_interval=_number(read, "reconcile_interval", 1),
        fargate_prices=_prices(read),
        warning_interval=_number(read, "warning_interval", 0),
    )


def settings_from_mapping(values: Mapping[str, Any]) -> ExecutorSettings:
    """Settings from a plain dict of `[ecs_fargate]` keys, for tests and benchmarks (Airflow's config reaches
    `load_settings` in the executor, with `conf` as the reader).

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
