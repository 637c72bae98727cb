"""One Airflow task's RunTask request, built by pure functions, so every rule is a unit test away.

The layers, lowest first:

1. `[ecs_fargate]` settings: cluster, task definition, launch type or capacity providers, network;
2. `run_task_kwargs`, deep-merged over that (both in `base_request`, built and checked once, at start);
3. the task: its command, startedBy, clientToken, tags, and the typed executor_config keys;
4. executor_config `overrides` and `run_task`, the raw escape hatches, merged last.

The executor uses only what this module exports; the submodules are the rules behind it.
"""

from __future__ import annotations

from farflow.executor.request.base import base_request
from farflow.executor.request.build import (
    LaunchSpec,
    build_run_task_request,
    client_token,
    task_definition_of,
)
from farflow.executor.request.executor_config import InvalidTaskRequest
from farflow.executor.request.tags import clean_tag_value

__all__ = [
    "InvalidTaskRequest",
    "LaunchSpec",
    "base_request",
    "build_run_task_request",
    "clean_tag_value",
    "client_token",
    "task_definition_of",
]
