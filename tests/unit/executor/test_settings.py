"""[ecs_fargate] settings: each bad value fails naming its key, its environment variable and the fix."""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from farflow.executor.prices import DEFAULT_PRICES
from farflow.executor.request.executor_config import EXECUTOR_CONFIG_KEYS
from farflow.executor.settings import (
    CURRENT_OPTIONS,
    OPTIONS,
    SECTION,
    ConfigError,
    ExecutorSettings,
    load_settings,
    settings_from_mapping,
)
from farflow.provider import get_provider_info

DOCS = Path(__file__).parents[3] / "docs" / "configuration.md"
MINIMAL = {
    "region": "us-east-1",
    "cluster": "farflow",
    "container_name": "airflow",
    "task_definition": "farflow-airflow",
}
REQUIRED = [option.name for option in OPTIONS if option.required]
OPTIONAL = [option for option in OPTIONS if not option.required]


def load(**values: Any) -> ExecutorSettings:
    merged = {**MINIMAL, **values}
    return load_settings(merged.get)


def error(**values: Any) -> str:
    with pytest.raises(ConfigError) as info:
        load(**values)
    return str(info.value)


def test_settings_have_one_field_per_key_and_no_default_of_their_own() -> None:
    fields = dataclasses.fields(ExecutorSettings)
    assert [field.name for field in fields] == [option.name for option in CURRENT_OPTIONS]
    assert all(field.default is dataclasses.MISSING for field in fields)
    assert all(field.default_factory is dataclasses.MISSING for field in fields)


@pytest.mark.parametrize("option", OPTIONAL, ids=lambda option: option.name)
def test_an_unset_key_loads_as_its_documented_default(option: Any) -> None:
    """The option table is the one place a default is written: unset and set-to-the-default agree."""
    assert load() == load(**{option.name: option.default})


def test_the_documented_defaults_are_what_the_executor_runs_with() -> None:
    settings = load()
    assert (settings.launch_type, settings.platform_version) == ("FARGATE", "LATEST")
    for option in CURRENT_OPTIONS:
        if option.type in ("integer", "float"):
            assert getattr(settings, option.name) == float(option.default or "nan"), option.name
        if option.type == "boolean":
            assert getattr(settings, option.name) is (option.default == "True"), option.name


def test_a_workload_store_is_its_bucket_and_prefix_and_empty_means_none() -> None:
    store = load(workload_store="s3://farflow-workloads/workloads").workload_store
    assert store is not None and (store.bucket, store.prefix) == ("farflow-workloads", "workloads/")
    assert load(workload_store="  ").workload_store is None


def test_the_default_waits_fit_in_the_airflow_tokens_default_lifetime() -> None:
    """A task may wait capacity_retry_seconds for capacity and then task_start_seconds to start; its token
    lives [scheduler] task_queued_timeout from queueing (Airflow's default, read from Airflow itself)."""
    from airflow.configuration import conf

    settings = load()
    lifetime = float(conf.get_default_value("scheduler", "task_queued_timeout"))
    assert settings.capacity_retry_seconds + settings.task_start_seconds + 60 <= lifetime


def test_the_required_keys_are_the_four_the_executor_cannot_guess() -> None:
    assert REQUIRED == ["region", "cluster", "container_name", "task_definition"]


@pytest.mark.parametrize("key", REQUIRED)
@pytest.mark.parametrize("missing", [None, "", "   "], ids=["unset", "empty", "blank"])
def test_each_missing_required_key_names_itself_and_its_variable(key: str, missing: str | None) -> None:
    message = error(**{key: missing})
    assert f"[ecs_fargate] {key}" in message
    assert f"AIRFLOW__ECS_FARGATE__{key.upper()}" in message
    assert "not set" in message


def test_task_definition_may_come_from_run_task_kwargs() -> None:
    settings = load(task_definition=None, run_task_kwargs='{"taskDefinition": "from-kwargs:3"}')
    assert settings.task_definition == "from-kwargs:3"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        *[("True", True), ("true", True), ("1", True), ("yes", True), ("on", True)],
        *[("False", False), ("FALSE", False), ("0", False), ("no", False), ("off", False), ("", False)],
    ],
)
def test_booleans(text: str, expected: bool) -> None:
    assert load(assign_public_ip=text).assign_public_ip is expected


@pytest.mark.parametrize("key", ["assign_public_ip", "check_health_on_startup"])
@pytest.mark.parametrize("text", ["maybe", "2", "enabled"])
def test_bad_booleans_name_the_key_and_the_fix(key: str, text: str) -> None:
    message = error(**{key: text})
    assert f"AIRFLOW__ECS_FARGATE__{key.upper()}" in message
    assert repr(text) in message and "True or False" in message


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        ("run_task_rate", "2.5", 2.5),
        ("run_task_burst", "7", 7),
        ("launch_concurrency", " 4 ", 4),
        ("capacity_retry_seconds", "0", 0.0),
        ("max_relaunches", "0", 0),
        ("poll_interval", "0.05", 0.05),
        ("reconcile_interval", "1", 1.0),
        ("warning_interval", "30", 30.0),
        ("task_start_seconds", "45", 45.0),
    ],
)
def test_numbers(key: str, text: str, expected: float) -> None:
    assert getattr(load(**{key: text}), key) == expected


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        ("run_task_rate", "fast", "'fast'; use a number >= 0.01"),
        ("run_task_rate", "0", "'0'; use a number >= 0.01"),
        ("run_task_rate", "nan", "'nan'; use a number >= 0.01"),
        ("capacity_retry_seconds", "inf", "'inf'; use a number >= 0"),
        ("run_task_burst", "1.5", "'1.5'; use an integer >= 1"),
        ("run_task_burst", "0", "'0'; use an integer >= 1"),
        ("launch_concurrency", "many", "'many'; use an integer >= 1"),
        ("max_relaunches", "-1", "'-1'; use an integer >= 0"),
        ("poll_interval", "0.01", "'0.01'; use a number >= 0.05"),
        ("warning_interval", "-5", "'-5'; use a number >= 0"),
        ("task_start_seconds", "-1", "'-1'; use a number >= 0"),
        ("workload_store", "https://bucket/workloads/", "not an s3:// URL"),
        ("workload_store", "s3://Not_A_Bucket/workloads/", "not an S3 bucket name"),
        ("run_task_kwargs", '{"tags": [', "not valid JSON"),
        ("run_task_kwargs", "[1, 2]", "must be a JSON object or a dict, not list"),
        ("run_task_kwargs", "no_such_module_for_farflow.KWARGS", "cannot be imported"),
        ("run_task_kwargs", "KWARGS", "cannot be imported"),
        ("capacity_provider_strategy", "[{", "not valid JSON"),
        ("capacity_provider_strategy", '{"capacityProvider": "FARGATE"}', "JSON list"),
        ("capacity_provider_strategy", '[{"weight": 1}]', '"capacityProvider"'),
        ("capacity_provider_strategy", '["FARGATE_SPOT"]', '"capacityProvider"'),
        ("reconcile_interval", "0.5", "'0.5'; use a number >= 1"),
        ("fargate_prices", "{", "not valid JSON"),
        ("fargate_prices", "[0.04]", "must be a JSON object"),
        ("fargate_prices", '{"vcpu_hour": 1}', "unknown key(s) vcpu_hour"),
        ("fargate_prices", '{"x86_64_vcpu_hour": "cheap"}', "x86_64_vcpu_hour must be a number"),
        ("fargate_prices", '{"arm64_gb_hour": -1}', "arm64_gb_hour must be a number"),
        ("fargate_prices", '{"region": 5}', "region must be text"),
    ],
)
def test_bad_values_name_the_key_its_variable_and_what_is_wrong(key: str, text: str, expected: str) -> None:
    message = error(**{key: text})
    assert f"[ecs_fargate] {key}" in message and f"AIRFLOW__ECS_FARGATE__{key.upper()}" in message
    assert expected in message


def test_run_task_kwargs_dotted_path_must_name_a_dict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "farflow_config_kwargs.py").write_text(
        "GOOD = {'propagateTags': 'TASK_DEFINITION'}\nBAD = ['x']\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "farflow_config_kwargs", raising=False)
    assert load(run_task_kwargs="farflow_config_kwargs.GOOD").run_task_kwargs == {
        "propagateTags": "TASK_DEFINITION"
    }
    assert "not list" in error(run_task_kwargs="farflow_config_kwargs.BAD")
    assert "cannot be imported" in error(run_task_kwargs="farflow_config_kwargs.MISSING")


STRATEGY = '[{"capacityProvider": "FARGATE_SPOT", "weight": 1}]'


def test_capacity_provider_strategy_replaces_the_default_launch_type() -> None:
    for launch_type in (None, "FARGATE", "fargate"):  # Airflow's config hands over the default, FARGATE
        settings = load(capacity_provider_strategy=STRATEGY, launch_type=launch_type)
        assert settings.launch_type is None
        assert settings.capacity_provider_strategy == ({"capacityProvider": "FARGATE_SPOT", "weight": 1},)


def test_explicit_ec2_launch_type_and_a_capacity_strategy_are_exclusive() -> None:
    message = error(capacity_provider_strategy=STRATEGY, launch_type="EC2")
    assert "AIRFLOW__ECS_FARGATE__LAUNCH_TYPE" in message
    assert "AIRFLOW__ECS_FARGATE__CAPACITY_PROVIDER_STRATEGY" in message
    assert "exclusive" in message


@pytest.mark.parametrize("text", ["EXTERNAL", "fargate_spot", "ECS"])
def test_unknown_launch_type(text: str) -> None:
    message = error(launch_type=text)
    assert "AIRFLOW__ECS_FARGATE__LAUNCH_TYPE" in message and "FARGATE or EC2" in message


def test_launch_type_is_case_insensitive_and_ec2_drops_the_platform_version() -> None:
    settings = load(launch_type="ec2", platform_version="1.4.0")
    assert (settings.launch_type, settings.platform_version) == ("EC2", None)
    assert load(platform_version="1.4.0").platform_version == "1.4.0"


def test_comma_separated_ids_are_trimmed() -> None:
    settings = load(subnets=" subnet-1, ,subnet-2 ", security_groups="sg-1")
    assert settings.subnets == ("subnet-1", "subnet-2")
    assert settings.security_groups == ("sg-1",)


def test_settings_from_mapping_accepts_native_values() -> None:
    settings = settings_from_mapping(
        {
            **MINIMAL,
            "subnets": ["subnet-1", "subnet-2"],
            "security_groups": ("sg-1",),
            "run_task_kwargs": {"propagateTags": "TASK_DEFINITION"},
            "capacity_provider_strategy": [{"capacityProvider": "FARGATE", "weight": 1}],
            "assign_public_ip": True,
            "run_task_burst": 5,
        }
    )
    assert settings.subnets == ("subnet-1", "subnet-2") and settings.security_groups == ("sg-1",)
    assert settings.run_task_kwargs == {"propagateTags": "TASK_DEFINITION"}
    assert settings.capacity_provider_strategy == ({"capacityProvider": "FARGATE", "weight": 1},)
    assert settings.assign_public_ip is True and settings.run_task_burst == 5


# --- docs/configuration.md covers every key ----------------------------------------------------


DOCS_ROW = re.compile(r"^\| `(\w+)` \| `(AIRFLOW__\w+)` \| ([^|]+) \|", re.MULTILINE)


def documented_defaults() -> dict[str, tuple[str, str | None]]:
    """docs/configuration.md's `[ecs_fargate]` tables: key -> (variable, default; None for none/required)."""
    rows = {}
    for name, variable, default in DOCS_ROW.findall(DOCS.read_text()):
        text = default.strip()
        rows[name] = (variable, None if text in ("none", "**required**") else text.strip("`"))
    return rows


@pytest.mark.parametrize("option", OPTIONS, ids=lambda option: option.name)
def test_every_option_is_documented_with_its_variable_and_default(option: Any) -> None:
    assert documented_defaults()[option.name] == (option.env_var, option.default)


def test_the_docs_list_no_key_the_executor_does_not_have() -> None:
    assert set(documented_defaults()) == {option.name for option in OPTIONS}


@pytest.mark.parametrize("key", list(EXECUTOR_CONFIG_KEYS))
def test_every_executor_config_key_is_documented(key: str) -> None:
    assert f"### `{key}`" in DOCS.read_text()


def test_fargate_prices_override_keys_of_the_packaged_table() -> None:
    prices = load(fargate_prices='{"region": "eu-west-1", "taken": "2026-11", "x86_64_vcpu_hour": 0.04456}')
    assert (prices.fargate_prices.region, prices.fargate_prices.taken) == ("eu-west-1", "2026-11")
    assert prices.fargate_prices.x86_64_vcpu_hour == 0.04456
    assert prices.fargate_prices.arm64_vcpu_hour == DEFAULT_PRICES.arm64_vcpu_hour
    assert load().fargate_prices == DEFAULT_PRICES
    assert load().events_queue_url is None  # events are off unless a queue is named


# --- credentials_log_interval: the old name of warning_interval, still read ----------------------------


def deprecation_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if "deprecated" in record.getMessage()]


def test_the_old_name_alone_is_used_with_one_warning_line(caplog: pytest.LogCaptureFixture) -> None:
    assert load(credentials_log_interval="30").warning_interval == 30.0
    [line] = deprecation_lines(caplog)
    assert "credentials_log_interval" in line and "AIRFLOW__ECS_FARGATE__WARNING_INTERVAL" in line
    assert "\n" not in line


def test_the_old_name_is_used_while_airflow_hands_over_the_new_names_default(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Airflow's config answers an unset provider option with its default, so the default means unset."""
    assert load(warning_interval="60", credentials_log_interval="30").warning_interval == 30.0
    assert len(deprecation_lines(caplog)) == 1


def test_the_new_name_wins_when_both_are_set(caplog: pytest.LogCaptureFixture) -> None:
    assert load(warning_interval="10", credentials_log_interval="30").warning_interval == 10.0
    [line] = deprecation_lines(caplog)
    assert "ignored" in line and "credentials_log_interval" in line


def test_the_new_name_alone_warns_nothing(caplog: pytest.LogCaptureFixture) -> None:
    assert load(warning_interval="10").warning_interval == 10.0
    assert load().warning_interval == 60.0
    assert deprecation_lines(caplog) == []


def test_a_bad_old_value_is_refused_like_a_bad_new_one() -> None:
    assert "use a number >= 0" in error(credentials_log_interval="-5")


def test_airflow_sees_the_old_name_as_deprecated_and_without_a_default() -> None:
    options = get_provider_info()["config"][SECTION]["options"]
    old = options["credentials_log_interval"]
    assert (old["version_deprecated"], old["default"]) == ("0.1.0", None)
    assert old["deprecation_reason"] == "Renamed to warning_interval."
    assert "version_deprecated" not in options["warning_interval"]
