"""Who is calling: each local process calls AWS with keys that name its deploy role."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from farflow.local.endpoint.image_resolver import ImageResolver
from farflow.local.endpoint.plan import TaskContext, plan_task
from farflow.local.environment import component_environment
from farflow.local.roles import access_key, role_of_key
from farflow.spec import COMPONENTS, MIGRATION
from tests.support.layouts import SECRETS, SEEDED, example_layout

CONTEXT = TaskContext(
    task_arn="arn:aws:ecs:us-east-1:123456789012:task/c/0123abcd",
    account="123456789012",
    region="us-east-1",
    endpoint_url="http://127.0.0.1:5555",
    base_env={},
)
CONTAINER = {"name": "main", "image": "apache/airflow:3", "command": ["python", "-c", "pass"]}


def task_env(context: TaskContext) -> dict[str, str]:
    return dict(plan_task(context, [CONTAINER], {}, ImageResolver(python="/env/bin/python"))["main"].env)


def task_key(context: TaskContext) -> str:
    return task_env(context)["AWS_ACCESS_KEY_ID"]


@pytest.mark.parametrize("component", [*COMPONENTS, MIGRATION], ids=lambda component: component.name)
def test_each_component_calls_as_its_own_role(component: object, tmp_path: Path) -> None:
    env = component_environment(
        component, {"AWS_ACCESS_KEY_ID": "AKIAREAL"}, example_layout(tmp_path), SEEDED, SECRETS
    )
    assert role_of_key(env["AWS_ACCESS_KEY_ID"]) == f"farflow-{component.name}"  # type: ignore[attr-defined]


def test_an_ecs_task_calls_as_its_task_definitions_task_role() -> None:
    role = "arn:aws:iam::123456789012:role/farflow-task-number_task"
    assert role_of_key(task_key(replace(CONTEXT, task_role_arn=role))) == "farflow-task-number_task"


def test_a_task_without_a_task_role_gets_no_credentials_from_anywhere() -> None:
    """As on Fargate: no keys, not the endpoint's own, no ~/.aws files, no instance metadata."""
    inherited = {"AWS_ACCESS_KEY_ID": "farflow-local", "AWS_SECRET_ACCESS_KEY": "s", "AWS_PROFILE": "dev"}
    env = task_env(replace(CONTEXT, base_env={**inherited, "HOME": "/home/me"}))
    assert not set(inherited) & set(env)
    assert env["HOME"] == "/home/me"
    assert (env["AWS_SHARED_CREDENTIALS_FILE"], env["AWS_CONFIG_FILE"]) == (os.devnull, os.devnull)
    assert env["AWS_EC2_METADATA_DISABLED"] == "true"


def test_keys_name_roles_and_other_keys_none() -> None:
    assert role_of_key(access_key("farflow-scheduler")) == "farflow-scheduler"
    assert role_of_key("farflow-local") is None
