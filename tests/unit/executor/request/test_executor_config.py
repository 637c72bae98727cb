"""Each typed executor_config key, in the request it builds or the error naming the key and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.executor.request.support import (
    CONTAINER,
    EC2,
    airflow_container,
    build,
    rejected,
)

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
