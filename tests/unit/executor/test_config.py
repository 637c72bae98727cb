"""[ecs_fargate] settings: each bad value fails naming its key, its environment variable and the fix."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from farflow.executor.config import ConfigError, ExecutorSettings, load_settings, settings_from_mapping
from farflow.executor.options import OPTIONS
from farflow.executor.task_options import EXECUTOR_CONFIG_KEYS

DOCS = Path(__file__).parents[3] / "docs" / "configuration.md"
MINIMAL = {
    "region": "us-east-1",
    "cluster": "farflow",
    "container_name": "airflow",
    "task_definition": "farflow-airflow",
}
REQUIRED = [option.name for option in OPTIONS if option.required]


def load(**values: Any) -> ExecutorSettings:
    merged = {**MINIMAL, **values}
    return load_settings(merged.get)


def error(**values: Any) -> str:
    with pytest.raises(ConfigError) as info:
        load(**values)
    return str(info.value)


def test_minimal_config_gives_the_documented_defaults() -> None:
    settings = load()
    assert settings == ExecutorSettings(**MINIMAL, platform_version=None)
    for option in OPTIONS:
        if option.type in ("integer", "float"):
            assert getattr(settings, option.name) == float(option.default or "nan"), option.name
        if option.type == "boolean":
            assert getattr(settings, option.name) is (option.default == "True"), option.name


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
        ("credentials_log_interval", "30", 30.0),
    ],
)
def test_numbers(key: str, text: str, expected: float) -> None:
    assert getattr(load(**{key: text}), key) == expected


@pytest.mark.parametrize(
    ("key", "text", "fix"),
    [
        ("run_task_rate", "fast", "a number >= 0.01"),
        ("run_task_rate", "0", "a number >= 0.01"),
        ("run_task_rate", "nan", "a number >= 0.01"),
        ("capacity_retry_seconds", "inf", "a number >= 0"),
        ("run_task_burst", "1.5", "an integer >= 1"),
        ("run_task_burst", "0", "an integer >= 1"),
        ("launch_concurrency", "many", "an integer >= 1"),
        ("max_relaunches", "-1", "an integer >= 0"),
        ("poll_interval", "0.01", "a number >= 0.05"),
        ("credentials_log_interval", "-5", "a number >= 0"),
    ],
)
def test_bad_numbers_name_the_key_and_the_fix(key: str, text: str, fix: str) -> None:
    message = error(**{key: text})
    assert f"AIRFLOW__ECS_FARGATE__{key.upper()}" in message
    assert repr(text) in message and fix in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"tags": [', "not valid JSON"),
        ("[1, 2]", "must be a JSON object or a dict, not list"),
        ("no_such_module_for_farflow.KWARGS", "cannot be imported"),
        ("KWARGS", "cannot be imported"),
    ],
)
def test_bad_run_task_kwargs(text: str, expected: str) -> None:
    message = error(run_task_kwargs=text)
    assert "AIRFLOW__ECS_FARGATE__RUN_TASK_KWARGS" in message and expected in message


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[{", "not valid JSON"),
        ('{"capacityProvider": "FARGATE"}', "JSON list"),
        ('[{"weight": 1}]', '"capacityProvider"'),
        ('["FARGATE_SPOT"]', '"capacityProvider"'),
    ],
)
def test_bad_capacity_provider_strategy(text: str, expected: str) -> None:
    message = error(capacity_provider_strategy=text)
    assert "AIRFLOW__ECS_FARGATE__CAPACITY_PROVIDER_STRATEGY" in message and expected in message


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


@pytest.mark.parametrize("option", OPTIONS, ids=lambda option: option.name)
def test_every_option_is_documented_with_its_variable(option: Any) -> None:
    docs = DOCS.read_text()
    assert f"`{option.name}`" in docs
    assert option.env_var in docs


@pytest.mark.parametrize("key", list(EXECUTOR_CONFIG_KEYS))
def test_every_executor_config_key_is_documented(key: str) -> None:
    assert f"### `{key}`" in DOCS.read_text()
