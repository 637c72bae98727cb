"""RunTask requests: every [ecs_fargate] placement, every executor_config key, and ECS's limits.

Every request these tests build is also checked against botocore's real ECS RunTask input shape.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.session import get_session
from botocore.validate import validate_parameters

from farflow.executor.config import ConfigError, ExecutorSettings, load_settings, settings_from_mapping
from farflow.executor.requests import (
    InvalidTaskRequest,
    LaunchSpec,
    base_request,
    build_run_task_request,
    check_fargate_size,
    client_token,
    nearest_fargate_size,
)
from farflow.executor.sizes import FARGATE_SIZES
from farflow.executor.task_options import EXECUTOR_CONFIG_KEYS

RUN_TASK_SHAPE = get_session().get_service_model("ecs").operation_model("RunTask").input_shape

SECRET = "eyJhbGciOiJIUzI1NiJ9.SECRET-JWT"
COMMAND = (
    "python",
    "-m",
    "airflow.sdk.execution_time.execute_workload",
    "--json-string",
    f'{{"token":"{SECRET}"}}',
)
CONTAINER = "airflow"
EXECUTOR_TAGS = {"farflow:executor": "exec123", "airflow:dag_id": "etl", "airflow:task_id": "load"}
TOKEN = client_token("etl", "load", "manual__2026-01-01T00:00:00+00:00", -1, 1, 0)
CONFIG: dict[str, Any] = {
    "region": "us-east-1",
    "cluster": "farflow",
    "container_name": CONTAINER,
    "task_definition": "farflow-airflow",
    "platform_version": "LATEST",
    "subnets": "subnet-a,subnet-b",
    "security_groups": "sg-1",
}
EC2 = {"launch_type": "EC2"}
EC2_PROVIDER = {"capacity_provider_strategy": [{"capacityProvider": "gpu-asg", "weight": 1}]}


def settings(**config: Any) -> ExecutorSettings:
    return settings_from_mapping({**CONFIG, **config})


def spec(executor_config: Any = None, **fields: Any) -> LaunchSpec:
    values: dict[str, Any] = {
        "command": COMMAND,
        "executor_config": executor_config or {},
        "client_token": TOKEN,
        "started_by": "farflow-exec123",
        "tags": EXECUTOR_TAGS,
        **fields,
    }
    return LaunchSpec(**values)


def valid(request: dict[str, Any]) -> dict[str, Any]:
    validate_parameters(request, RUN_TASK_SHAPE)  # raises ParamValidationError if ECS would refuse the shape
    return request


def build(executor_config: Any = None, **config: Any) -> dict[str, Any]:
    current = settings(**config)
    return valid(build_run_task_request(current, valid(base_request(current)), spec(executor_config)))


def rejected(executor_config: Any, **config: Any) -> str:
    with pytest.raises(InvalidTaskRequest) as info:
        build(executor_config, **config)
    message = str(info.value)
    assert SECRET not in message and "execute_workload" not in message  # the command never leaks
    return message


def config_error(**config: Any) -> str:
    with pytest.raises(ConfigError) as info:
        base_request(settings(**config))
    return str(info.value)


def airflow_container(request: dict[str, Any]) -> dict[str, Any]:
    entries = [item for item in request["overrides"]["containerOverrides"] if item["name"] == CONTAINER]
    assert len(entries) == 1
    return entries[0]


def env_of(request: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in airflow_container(request).get("environment", [])}


def tags_of(request: dict[str, Any]) -> dict[str, str]:
    return {item["key"]: item["value"] for item in request["tags"]}


# --- the base, from config ---------------------------------------------------------------------


def test_fargate_request_has_every_field_it_needs() -> None:
    assert build() == {
        "cluster": "farflow",
        "taskDefinition": "farflow-airflow",
        "count": 1,
        "launchType": "FARGATE",
        "platformVersion": "LATEST",
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": ["subnet-a", "subnet-b"],
                "securityGroups": ["sg-1"],
                "assignPublicIp": "DISABLED",
            }
        },
        "overrides": {"containerOverrides": [{"name": CONTAINER, "command": list(COMMAND)}]},
        "tags": [{"key": key, "value": value} for key, value in EXECUTOR_TAGS.items()],
        "startedBy": "farflow-exec123",
        "clientToken": TOKEN,
    }


def test_assign_public_ip_enabled_on_fargate() -> None:
    awsvpc = build(assign_public_ip="True")["networkConfiguration"]["awsvpcConfiguration"]
    assert awsvpc["assignPublicIp"] == "ENABLED"


def test_ec2_drops_platform_version_and_public_ip() -> None:
    request = build(**EC2)
    assert request["launchType"] == "EC2"
    assert "platformVersion" not in request
    assert request["networkConfiguration"]["awsvpcConfiguration"] == {
        "subnets": ["subnet-a", "subnet-b"],
        "securityGroups": ["sg-1"],
    }


def test_ec2_without_subnets_sends_no_network_config() -> None:
    request = build(launch_type="EC2", subnets=None, security_groups=None)
    assert "networkConfiguration" not in request


def test_ec2_with_public_ip_is_a_config_error() -> None:
    message = config_error(launch_type="EC2", assign_public_ip="True")
    assert "assign_public_ip" in message and "AIRFLOW__ECS_FARGATE__ASSIGN_PUBLIC_IP" in message


def test_fargate_capacity_providers_replace_launch_type_and_keep_platform_version() -> None:
    strategy = [{"capacityProvider": "FARGATE_SPOT", "weight": 3}, {"capacityProvider": "FARGATE", "base": 1}]
    request = build(launch_type=None, capacity_provider_strategy=strategy)
    assert request["capacityProviderStrategy"] == strategy
    assert "launchType" not in request
    assert request["platformVersion"] == "LATEST"
    assert request["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"


def test_ec2_capacity_provider_is_treated_as_ec2() -> None:
    request = build(**EC2_PROVIDER)
    assert "launchType" not in request and "platformVersion" not in request
    assert "assignPublicIp" not in request["networkConfiguration"]["awsvpcConfiguration"]


@pytest.mark.parametrize(
    "config",
    [
        pytest.param({"subnets": None}, id="fargate"),
        pytest.param(
            {
                "subnets": None,
                "launch_type": None,
                "capacity_provider_strategy": [{"capacityProvider": "FARGATE"}],
            },
            id="fargate-provider",
        ),
    ],
)
def test_fargate_without_subnets_is_a_config_error(config: dict[str, Any]) -> None:
    message = config_error(**config)
    assert "[ecs_fargate] subnets" in message and "AIRFLOW__ECS_FARGATE__SUBNETS" in message


def test_security_groups_without_subnets_is_a_config_error_on_ec2() -> None:
    assert "AIRFLOW__ECS_FARGATE__SUBNETS" in config_error(launch_type="EC2", subnets=None)


def test_subnets_may_come_from_run_task_kwargs() -> None:
    kwargs = {"networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-z"]}}}
    request = build(subnets=None, security_groups=None, run_task_kwargs=kwargs)
    assert request["networkConfiguration"]["awsvpcConfiguration"] == {
        "subnets": ["subnet-z"],
        "assignPublicIp": "DISABLED",
    }


def test_run_task_kwargs_are_deep_merged_over_the_config() -> None:
    kwargs = {
        "platformVersion": "1.4.0",
        "enableExecuteCommand": True,
        "networkConfiguration": {"awsvpcConfiguration": {"securityGroups": ["sg-9"]}},
        "overrides": {
            "taskRoleArn": "arn:aws:iam::123456789012:role/etl",
            "containerOverrides": [
                {"name": CONTAINER, "environment": [{"name": "STAGE", "value": "prod"}]},
                {"name": "log-router", "memoryReservation": 64},
            ],
        },
    }
    request = build(run_task_kwargs=kwargs)
    assert request["platformVersion"] == "1.4.0"
    assert request["enableExecuteCommand"] is True
    assert request["networkConfiguration"]["awsvpcConfiguration"] == {
        "subnets": ["subnet-a", "subnet-b"],
        "securityGroups": ["sg-9"],
        "assignPublicIp": "DISABLED",
    }
    assert request["overrides"]["taskRoleArn"] == "arn:aws:iam::123456789012:role/etl"
    assert airflow_container(request) == {
        "name": CONTAINER,
        "environment": [{"name": "STAGE", "value": "prod"}],
        "command": list(COMMAND),
    }
    assert {"name": "log-router", "memoryReservation": 64} in request["overrides"]["containerOverrides"]


def test_run_task_kwargs_capacity_strategy_replaces_the_default_launch_type() -> None:
    kwargs = {"capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]}
    request = build(run_task_kwargs=kwargs)
    assert "launchType" not in request
    assert request["capacityProviderStrategy"] == kwargs["capacityProviderStrategy"]


def test_run_task_kwargs_launch_type_ec2_replaces_fargate() -> None:
    request = build(run_task_kwargs={"launchType": "EC2"})
    assert request["launchType"] == "EC2" and "platformVersion" not in request


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param(
            {"overrides": {"containerOverrides": [{"name": CONTAINER, "command": ["echo"]}]}},
            "command",
            id="command",
        ),
        pytest.param({"overrides": {"containerOverrides": [{"cpu": 1}]}}, "'name'", id="unnamed-container"),
        pytest.param(
            {"overrides": {"containerOverrides": [{"name": CONTAINER}, {"name": CONTAINER, "cpu": 1}]}},
            "more than once",
            id="container-twice",
        ),
        pytest.param({"count": 2}, "count", id="count"),
        pytest.param({"clientToken": "x"}, "clientToken", id="clientToken"),
        pytest.param({"startedBy": "me"}, "startedBy", id="startedBy"),
        pytest.param({"cluster": "other"}, "cluster", id="other-cluster"),
        pytest.param({"launchType": "EC2", "capacityProviderStrategy": []}, "both", id="placement-twice"),
        pytest.param({"lauchType": "EC2"}, "'lauchType'", id="typo"),
        pytest.param({"tags": [{"key": "aws:owner", "value": "x"}]}, "aws:", id="reserved-tag"),
        pytest.param({"tags": {"team": "data"}}, "list", id="tags-not-a-list"),
        pytest.param(
            {
                "overrides": {
                    "containerOverrides": [{"name": "x", "environment": [{"name": "A", "value": "v" * 9000}]}]
                }
            },
            "8192",
            id="overrides-too-large",
        ),
    ],
)
def test_run_task_kwargs_that_cannot_work_are_config_errors(kwargs: dict[str, Any], expected: str) -> None:
    message = config_error(run_task_kwargs=kwargs)
    assert expected in message
    assert "AIRFLOW__ECS_FARGATE__RUN_TASK_KWARGS" in message


def test_run_task_kwargs_from_json_text() -> None:
    text = '{"tags": [{"key": "team", "value": "data"}], "propagateTags": "TASK_DEFINITION"}'
    current = load_settings({**CONFIG, "run_task_kwargs": text}.get)
    request = valid(build_run_task_request(current, base_request(current), spec()))
    assert request["propagateTags"] == "TASK_DEFINITION"
    assert tags_of(request)["team"] == "data"


def test_run_task_kwargs_from_a_dotted_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "farflow_test_kwargs.py").write_text(
        "RUN_TASK_KWARGS = {'enableECSManagedTags': True, 'overrides': {'containerOverrides': "
        "[{'name': 'airflow', 'environment': [{'name': 'FROM_MODULE', 'value': '1'}]}]}}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "farflow_test_kwargs", raising=False)
    current = load_settings({**CONFIG, "run_task_kwargs": "farflow_test_kwargs.RUN_TASK_KWARGS"}.get)
    request = valid(build_run_task_request(current, base_request(current), spec({"env": {"EXTRA": "2"}})))
    assert request["enableECSManagedTags"] is True
    assert env_of(request) == {"FROM_MODULE": "1", "EXTRA": "2"}


# --- per task: command, identity, tags ---------------------------------------------------------


def test_the_airflow_container_entry_comes_first_when_created() -> None:
    request = build(run_task_kwargs={"overrides": {"containerOverrides": [{"name": "sidecar", "cpu": 16}]}})
    assert [item["name"] for item in request["overrides"]["containerOverrides"]] == [CONTAINER, "sidecar"]
    assert airflow_container(request)["command"] == list(COMMAND)


def test_build_does_not_change_its_inputs() -> None:
    current = settings(run_task_kwargs={"tags": [{"key": "team", "value": "data"}]})
    base = base_request(current)
    before = copy.deepcopy(base)
    executor_config = {"env": {"A": "1"}, "overrides": {"containerOverrides": [{"name": "x", "cpu": 1}]}}
    config_before = copy.deepcopy(executor_config)
    build_run_task_request(current, base, spec(executor_config))
    assert base == before and executor_config == config_before


def test_tags_combine_run_task_kwargs_executor_config_and_executor() -> None:
    request = build(
        {"tags": {"owner": "ana", "team": "ml"}},
        run_task_kwargs={"tags": [{"key": "team", "value": "data"}, {"key": "cost-center", "value": "42"}]},
    )
    assert tags_of(request) == {"team": "ml", "cost-center": "42", "owner": "ana", **EXECUTOR_TAGS}


def test_tags_cannot_override_the_executors_tags() -> None:
    assert "farflow:executor" in rejected({"tags": {"farflow:executor": "someone-else"}})


def test_more_than_50_tags_is_rejected() -> None:
    tags = {f"k{i}": "v" for i in range(50 - len(EXECUTOR_TAGS))}
    assert len(build({"tags": tags})["tags"]) == 50
    message = rejected({"tags": {**tags, "one-more": "v"}})
    assert "51 tags" in message and "50" in message


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        pytest.param({"team": 7}, "string", id="not-a-string"),
        pytest.param({"aws:cost": "x"}, "aws:", id="reserved-prefix"),
        pytest.param({"team": "data;drop"}, "character", id="bad-character"),
        pytest.param({"k" * 129: "x"}, "1-128", id="key-too-long"),
        pytest.param(["team"], "dict", id="not-a-dict"),
    ],
)
def test_bad_tags_are_rejected(tags: Any, expected: str) -> None:
    assert expected in rejected({"tags": tags})


def test_started_by_over_36_characters_is_rejected() -> None:
    current = settings()
    with pytest.raises(InvalidTaskRequest, match="36"):
        build_run_task_request(current, base_request(current), spec(started_by="x" * 37))


# --- client tokens -----------------------------------------------------------------------------


def test_client_token_is_deterministic_short_and_plain() -> None:
    token = client_token("etl", "load", "manual__2026-01-01T00:00:00+00:00", -1, 1, 0)
    assert token == client_token("etl", "load", "manual__2026-01-01T00:00:00+00:00", -1, 1, 0)
    assert len(token) <= 64 and token.isascii() and token.isalnum()


@pytest.mark.parametrize(
    ("left", "right"),
    [
        pytest.param(("etl", "load", "r", -1, 1, 0), ("etl", "load", "r", -1, 1, 1), id="launch-attempt"),
        pytest.param(("etl", "load", "r", -1, 1, 0), ("etl", "load", "r", -1, 2, 0), id="try-number"),
        pytest.param(("etl", "load", "r", 0, 1, 0), ("etl", "load", "r", 1, 1, 0), id="map-index"),
        pytest.param(("a", "b"), ("a,b",), id="joined-parts"),
        pytest.param((1,), ("1",), id="int-vs-text"),
        pytest.param((None,), ("None",), id="none-vs-text"),
    ],
)
def test_client_tokens_differ_when_any_part_differs(left: tuple[Any, ...], right: tuple[Any, ...]) -> None:
    assert client_token(*left) != client_token(*right)


def test_client_token_for_very_long_ids_stays_within_ecs_limit() -> None:
    assert len(client_token("d" * 250, "t" * 250, "r" * 250, 10_000, 99, 3)) == 64


# --- executor_config: cpu and memory ------------------------------------------------------------


@pytest.mark.parametrize(
    ("executor_config", "cpu", "memory"),
    [
        pytest.param({"cpu": 1024, "memory": 4096}, "1024", "4096", id="ints"),
        pytest.param({"cpu": "2048", "memory": "8192"}, "2048", "8192", id="numeric-strings"),
        pytest.param({"cpu": "0.5 vCPU", "memory": "2 GB"}, "512", "2048", id="vcpu-and-gb"),
        pytest.param({"cpu": "1 vcpu", "memory": "3072 MiB"}, "1024", "3072", id="vcpu-and-mib"),
        pytest.param({"cpu": "4 vCPU", "memory": "30 GiB"}, "4096", "30720", id="gib"),
        pytest.param({"cpu": 2048}, "2048", "4096", id="cpu-only-smallest-memory"),
        pytest.param({"cpu": 256}, "256", "512", id="cpu-256-only"),
        pytest.param({"memory": 16384}, "2048", "16384", id="memory-only-smallest-cpu"),
        pytest.param({"memory": "512"}, "256", "512", id="memory-512-only"),
        pytest.param({"memory": 61440}, "8192", "61440", id="memory-60gb-only"),
    ],
)
def test_cpu_and_memory_become_task_overrides(executor_config: dict[str, Any], cpu: str, memory: str) -> None:
    overrides = build(executor_config)["overrides"]
    assert (overrides["cpu"], overrides["memory"]) == (cpu, memory)


@pytest.mark.parametrize(
    ("executor_config", "nearest"),
    [
        pytest.param({"cpu": 256, "memory": 4096}, "cpu=512, memory=4096", id="256-too-much-memory"),
        pytest.param({"cpu": 1024, "memory": 9000}, "cpu=2048, memory=9216", id="not-a-step"),
        pytest.param({"cpu": 4096, "memory": 31744}, "cpu=8192, memory=32768", id="4096-over-30gb"),
        pytest.param({"cpu": 8192, "memory": 17408}, "cpu=8192, memory=20480", id="8192-4gb-steps"),
        pytest.param({"cpu": 16384, "memory": 36864}, "cpu=16384, memory=40960", id="16384-8gb-steps"),
        pytest.param({"cpu": 16384, "memory": 131072}, "cpu=16384, memory=122880", id="over-the-largest"),
        pytest.param({"cpu": 300}, "cpu=512, memory=1024", id="cpu-not-in-table"),
        pytest.param({"cpu": 32768}, "cpu=16384, memory=122880", id="cpu-over-the-largest"),
        pytest.param({"memory": 3000}, "cpu=512, memory=3072", id="memory-not-in-table"),
    ],
)
def test_invalid_fargate_sizes_name_the_nearest_valid_pair(
    executor_config: dict[str, Any], nearest: str
) -> None:
    assert nearest in rejected(executor_config)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("abc", id="text"),
        pytest.param(True, id="bool"),
        pytest.param(0, id="zero"),
        pytest.param(-1024, id="negative"),
        pytest.param("0.3 vCPU", id="not-whole"),
        pytest.param("2 cores", id="unknown-unit"),
        pytest.param([1024], id="list"),
    ],
)
def test_unreadable_cpu_names_the_key_and_the_accepted_forms(value: Any) -> None:
    message = rejected({"cpu": value})
    assert "'cpu'" in message and "1 vCPU" in message


def test_unreadable_memory_names_the_key_and_the_accepted_forms() -> None:
    message = rejected({"memory": "lots"})
    assert "'memory'" in message and "2 GB" in message


def test_ec2_takes_any_cpu_and_memory_and_does_not_fill_the_other() -> None:
    assert build({"cpu": 300, "memory": 700}, **EC2)["overrides"]["cpu"] == "300"
    overrides = build({"cpu": 300}, **EC2)["overrides"]
    assert overrides["cpu"] == "300" and "memory" not in overrides


def test_fargate_spot_capacity_provider_is_checked_against_the_fargate_table() -> None:
    config = {
        "launch_type": None,
        "capacity_provider_strategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
    }
    assert "cpu=512, memory=4096" in rejected({"cpu": 256, "memory": 4096}, **config)


def test_the_fargate_table_has_every_valid_pair() -> None:
    steps = {256: None, 512: 1024, 1024: 1024, 2048: 1024, 4096: 1024, 8192: 4096, 16384: 8192}
    ranges = {256: (512, 2048), 512: (1024, 4096), 1024: (2048, 8192), 2048: (4096, 16384)}
    ranges |= {4096: (8192, 30720), 8192: (16384, 61440), 16384: (32768, 122880)}
    expected = {(256, 512), (256, 1024), (256, 2048)}
    for cpu, step in steps.items():
        if step:
            low, high = ranges[cpu]
            expected |= {(cpu, memory) for memory in range(low, high + 1, step)}
    assert set(FARGATE_SIZES) == expected
    for cpu, memory in FARGATE_SIZES:
        check_fargate_size(cpu, memory)  # valid pairs pass
        assert nearest_fargate_size(cpu, memory) == (cpu, memory)


@pytest.mark.parametrize(
    ("cpu", "memory", "nearest"),
    [
        pytest.param(1, 1, (256, 512), id="tiny"),
        pytest.param(256, 1536, (256, 2048), id="between-steps"),
        pytest.param(257, 512, (512, 1024), id="just-over-a-cpu"),
        pytest.param(512, 5000, (1024, 5120), id="memory-needs-more-cpu"),
        pytest.param(99999, 1, (16384, 122880), id="largest"),
    ],
)
def test_nearest_is_the_smallest_pair_with_at_least_the_request(
    cpu: int, memory: int, nearest: tuple[int, int]
) -> None:
    assert nearest_fargate_size(cpu, memory) == nearest
    if nearest != (cpu, memory):
        with pytest.raises(InvalidTaskRequest, match=f"cpu={nearest[0]}, memory={nearest[1]}"):
            check_fargate_size(cpu, memory)


# --- executor_config: gpu, ephemeral storage, env, task definition -----------------------------


def test_gpu_on_ec2_is_a_container_resource_requirement() -> None:
    request = build({"gpu": 2}, **EC2)
    assert airflow_container(request)["resourceRequirements"] == [{"type": "GPU", "value": "2"}]


def test_gpu_on_an_ec2_capacity_provider() -> None:
    request = build({"gpu": "1", "capacity_provider": "gpu-asg"})
    assert airflow_container(request)["resourceRequirements"] == [{"type": "GPU", "value": "1"}]
    assert request["capacityProviderStrategy"] == [{"capacityProvider": "gpu-asg", "weight": 1}]
    assert "platformVersion" not in request and "launchType" not in request


@pytest.mark.parametrize("config", [pytest.param({}, id="fargate"), pytest.param({"spot": True}, id="spot")])
def test_gpu_on_fargate_says_gpus_need_ec2(config: dict[str, Any]) -> None:
    message = rejected({"gpu": 1, **config})
    assert "launch_type" in message and "EC2" in message and "capacity provider" in message


@pytest.mark.parametrize("value", [0, -1, "two", True, 1.5])
def test_gpu_must_be_a_whole_number_of_at_least_one(value: Any) -> None:
    assert "'gpu'" in rejected({"gpu": value}, **EC2)


@pytest.mark.parametrize("size", [21, 200, "100"])
def test_ephemeral_storage_within_fargate_range(size: Any) -> None:
    assert build({"ephemeral_storage_gib": size})["overrides"]["ephemeralStorage"] == {"sizeInGiB": int(size)}


@pytest.mark.parametrize("size", [20, 201, "big", 50.5])
def test_ephemeral_storage_outside_fargate_range(size: Any) -> None:
    assert "21 to 200" in rejected({"ephemeral_storage_gib": size})


def test_ephemeral_storage_is_fargate_only() -> None:
    assert "Fargate" in rejected({"ephemeral_storage_gib": 50}, **EC2)


def test_env_merges_with_run_task_kwargs_env() -> None:
    kwargs = {
        "overrides": {
            "containerOverrides": [
                {
                    "name": CONTAINER,
                    "environment": [{"name": "STAGE", "value": "prod"}, {"name": "A", "value": "0"}],
                }
            ]
        }
    }
    request = build({"env": {"A": "1", "B": "2"}}, run_task_kwargs=kwargs)
    assert airflow_container(request)["environment"] == [
        {"name": "STAGE", "value": "prod"},
        {"name": "A", "value": "1"},
        {"name": "B", "value": "2"},
    ]


def test_env_values_must_be_text_and_are_never_quoted() -> None:
    message = rejected({"env": {"API_KEY": 123456789}})
    assert "API_KEY" in message and "int" in message and "123456789" not in message


@pytest.mark.parametrize("env", [["A=1"], "A=1", {"": "x"}])
def test_env_must_be_a_dict_of_names(env: Any) -> None:
    assert "'env'" in rejected({"env": env})


def test_task_definition_replaces_the_family() -> None:
    assert build({"task_definition": "heavy-etl:7"})["taskDefinition"] == "heavy-etl:7"


@pytest.mark.parametrize("value", ["", "  ", 7])
def test_task_definition_must_be_a_name(value: Any) -> None:
    assert "'task_definition'" in rejected({"task_definition": value})


# --- executor_config: capacity providers and spot ----------------------------------------------


@pytest.mark.parametrize(
    "executor_config",
    [
        pytest.param({"capacity_provider": "FARGATE_SPOT"}, id="capacity_provider"),
        pytest.param({"spot": True}, id="spot"),
    ],
)
def test_spot_uses_the_fargate_spot_capacity_provider(executor_config: dict[str, Any]) -> None:
    request = build(executor_config)
    assert request["capacityProviderStrategy"] == [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]
    assert "launchType" not in request
    assert request["platformVersion"] == "LATEST"
    assert request["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"


def test_spot_false_changes_nothing() -> None:
    assert build({"spot": False}) == build()


def test_spot_with_another_capacity_provider_is_rejected() -> None:
    message = rejected({"spot": True, "capacity_provider": "FARGATE"})
    assert "spot" in message and "capacity_provider" in message


def test_spot_must_be_a_boolean() -> None:
    assert "True or False" in rejected({"spot": "yes"})


def test_moving_an_ec2_task_to_spot_needs_subnets() -> None:
    assert "AIRFLOW__ECS_FARGATE__SUBNETS" in rejected(
        {"spot": True}, launch_type="EC2", subnets=None, security_groups=None
    )


def test_moving_to_an_ec2_provider_drops_fargate_only_fields() -> None:
    request = build({"capacity_provider": "gpu-asg"})
    assert "platformVersion" not in request
    assert "assignPublicIp" not in request["networkConfiguration"]["awsvpcConfiguration"]


def test_moving_to_an_ec2_provider_with_a_public_ip_is_rejected() -> None:
    assert "public IP" in rejected({"capacity_provider": "gpu-asg"}, assign_public_ip="True")


# --- executor_config: raw overrides and run_task ------------------------------------------------


def test_raw_overrides_merge_last_and_by_container_name() -> None:
    request = build(
        {
            "cpu": 1024,
            "env": {"A": "1"},
            "overrides": {
                "memory": "8192",
                "taskRoleArn": "arn:aws:iam::123456789012:role/heavy",
                "containerOverrides": [
                    {
                        "name": CONTAINER,
                        "memoryReservation": 4096,
                        "environment": [{"name": "B", "value": "2"}],
                    },
                    {"name": "log-router", "cpu": 64},
                ],
            },
        }
    )
    assert (request["overrides"]["cpu"], request["overrides"]["memory"]) == ("1024", "8192")
    assert request["overrides"]["taskRoleArn"] == "arn:aws:iam::123456789012:role/heavy"
    container = airflow_container(request)
    assert container["command"] == list(COMMAND)
    assert container["memoryReservation"] == 4096
    assert env_of(request) == {"A": "1", "B": "2"}
    assert {"name": "log-router", "cpu": 64} in request["overrides"]["containerOverrides"]


def test_raw_overrides_that_break_the_fargate_table_are_rejected() -> None:
    assert "cpu=2048, memory=16384" in rejected({"cpu": 1024, "overrides": {"memory": "16384"}})


def test_raw_run_task_merges_last() -> None:
    request = build(
        {
            "run_task": {
                "enableExecuteCommand": True,
                "taskDefinition": "other:3",
                "tags": [{"key": "team", "value": "ml"}],
                "networkConfiguration": {"awsvpcConfiguration": {"assignPublicIp": "ENABLED"}},
            }
        }
    )
    assert request["enableExecuteCommand"] is True
    assert request["taskDefinition"] == "other:3"
    assert tags_of(request) == {**EXECUTOR_TAGS, "team": "ml"}
    assert request["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == ["subnet-a", "subnet-b"]
    assert request["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "ENABLED"


def test_raw_run_task_capacity_strategy_replaces_launch_type() -> None:
    strategy = [
        {"capacityProvider": "FARGATE_SPOT", "weight": 2},
        {"capacityProvider": "FARGATE", "weight": 1},
    ]
    request = build({"run_task": {"capacityProviderStrategy": strategy}})
    assert request["capacityProviderStrategy"] == strategy and "launchType" not in request


@pytest.mark.parametrize(
    ("executor_config", "expected"),
    [
        pytest.param(
            {"overrides": {"containerOverrides": [{"name": CONTAINER, "command": ["sh", "-c", "evil"]}]}},
            "command",
            id="overrides-command",
        ),
        pytest.param(
            {"run_task": {"overrides": {"containerOverrides": [{"name": CONTAINER, "command": ["x"]}]}}},
            "command",
            id="run_task-command",
        ),
        pytest.param({"overrides": {"containerOverrides": [{"cpu": 5}]}}, "'name'", id="overrides-unnamed"),
        pytest.param(
            {"overrides": {"containerOverrides": {"name": CONTAINER}}}, "list", id="overrides-not-a-list"
        ),
        pytest.param({"run_task": {"overrides": ["x"]}}, "TaskOverride", id="run_task-overrides-not-a-dict"),
        *(
            pytest.param({"run_task": {key: value}}, key, id=f"run_task-{key}")
            for key, value in {"cluster": "other", "clientToken": "t", "startedBy": "me", "count": 2}.items()
        ),
        pytest.param(
            {"run_task": {"tags": [{"key": "farflow:executor", "value": "x"}]}},
            "farflow:executor",
            id="run_task-tag",
        ),
        pytest.param(
            {"run_task": {"launchType": "EC2", "capacityProviderStrategy": []}}, "both", id="placement-twice"
        ),
        pytest.param({"overrides": "cpu=1"}, "'overrides' must be a dict", id="overrides-not-a-dict"),
        pytest.param({"run_task": [1]}, "'run_task' must be a dict", id="run_task-not-a-dict"),
    ],
)
def test_raw_fragments_cannot_take_what_farflow_owns(executor_config: dict[str, Any], expected: str) -> None:
    assert expected in rejected(executor_config)


def test_raw_fragments_are_checked_against_the_ecs_shape_without_quoting_values() -> None:
    message = rejected({"run_task": {"referenceId": ["SECRET-VALUE"], "enableExecuteComand": True}})
    assert "referenceId" in message and "enableExecuteComand" in message
    assert "SECRET-VALUE" not in message


# --- executor_config as a whole, and ECS's 8192-character overrides limit -----------------------


def test_unknown_keys_list_the_valid_ones() -> None:
    message = rejected({"cpus": 2, "pod_override": {}})
    assert "'cpus'" in message and "'pod_override'" in message
    assert all(key in message for key in EXECUTOR_CONFIG_KEYS)


def test_executor_config_must_be_a_dict() -> None:
    assert "must be a dict" in rejected(["cpu", 1024])


def _overrides_size(env_value: str) -> int:
    request = build({"env": {"BIG": "x"}})
    airflow_container(request)["environment"] = [{"name": "BIG", "value": env_value}]
    return len(json.dumps(request["overrides"], separators=(",", ":")))


def test_overrides_up_to_8192_characters_pass_and_one_more_fails() -> None:
    fits = "x" * (8192 - _overrides_size(""))
    assert _overrides_size(fits) == 8192
    assert env_of(build({"env": {"BIG": fits}}))["BIG"] == fits
    message = rejected({"env": {"BIG": fits + "x"}})
    assert "8193 characters" in message and "8192" in message
    assert "task definition" in message and "secret" in message


def test_a_huge_command_is_reported_by_size_never_by_content() -> None:
    current = settings()
    huge = (*COMMAND[:-1], json.dumps({"token": SECRET, "pad": "p" * 9000}))
    with pytest.raises(InvalidTaskRequest) as info:
        build_run_task_request(current, base_request(current), spec(command=huge))
    assert "8192" in str(info.value) and SECRET not in str(info.value) and "ppp" not in str(info.value)
