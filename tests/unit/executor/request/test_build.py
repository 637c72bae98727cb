"""A task's RunTask request: command, identity and tags, client tokens, the raw layers, ECS's limits.

Every request these tests build is also checked against botocore's real ECS RunTask input shape.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from farflow.executor.request import (
    InvalidTaskRequest,
    base_request,
    build_run_task_request,
    client_token,
    task_definition_of,
)
from farflow.executor.request.executor_config import EXECUTOR_CONFIG_KEYS
from tests.unit.executor.request.support import (
    COMMAND,
    CONTAINER,
    EXECUTOR_TAGS,
    SECRET,
    airflow_container,
    build,
    env_of,
    rejected,
    settings,
    spec,
    tags_of,
)

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


# --- the task definition, known before the request is built (the workload store's key needs it) -----


@pytest.mark.parametrize(
    "executor_config",
    [
        {},
        {"task_definition": "gpu-airflow:3"},
        {"run_task": {"taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/big:9"}},
        {"task_definition": "gpu-airflow", "run_task": {"taskDefinition": "big:2"}},
    ],
)
def test_the_task_definition_known_before_the_build_is_the_one_the_request_names(
    executor_config: dict[str, Any],
) -> None:
    config = settings()
    base = base_request(config)
    request = build_run_task_request(config, base, spec(executor_config))
    assert task_definition_of(base, executor_config) == request["taskDefinition"]


def test_the_task_definition_of_a_bad_executor_config_is_rejected_like_its_request() -> None:
    with pytest.raises(InvalidTaskRequest, match="unknown key"):
        task_definition_of(base_request(settings()), {"cpus": 1})
