"""The config layer of every RunTask request: built and checked once, when the scheduler starts.

A config that cannot work (Fargate without subnets, run_task_kwargs that set the Airflow
container's command, ...) raises ConfigError naming the key and its environment variable, so the
scheduler stops with the fix instead of failing every task.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from farflow.executor.request.merge import deep_merge
from farflow.executor.request.rules import Platform, awsvpc_of, fragment_problem, platform_of
from farflow.executor.request.shape import run_task_problems
from farflow.executor.settings import SECTION, ConfigError, ExecutorSettings, where


def base_request(settings: ExecutorSettings) -> dict[str, Any]:
    """The part of every RunTask request that comes from config; raises ConfigError if it cannot work.

    Called once when the scheduler starts, so a broken config stops the scheduler with the key to
    fix instead of failing every task.
    """
    kwargs = dict(settings.run_task_kwargs)
    _check_run_task_kwargs(settings, kwargs)
    request: dict[str, Any] = {
        "cluster": settings.cluster,
        "taskDefinition": settings.task_definition,
        "count": 1,
    }
    request.update(_placement(settings, kwargs))
    platform = platform_of(request)
    if platform == "fargate" and settings.platform_version:
        request["platformVersion"] = settings.platform_version
    network = _network(settings, platform)
    if network:
        request["networkConfiguration"] = {"awsvpcConfiguration": network}
    request = deep_merge(request, kwargs)
    _check_base(request)
    return request


def _check_run_task_kwargs(settings: ExecutorSettings, kwargs: Mapping[str, Any]) -> None:
    key = where("run_task_kwargs")
    if kwargs.get("count", 1) != 1:
        raise ConfigError(f"{key} sets count; farflow runs one ECS task per Airflow task, so remove it.")
    for owned in ("clientToken", "startedBy"):
        if owned in kwargs:
            raise ConfigError(f"{key} sets {owned}, which farflow sets for each task; remove it.")
    if kwargs.get("cluster", settings.cluster) != settings.cluster:
        raise ConfigError(
            f"{key} sets cluster to a different cluster than {where('cluster')}; set only {where('cluster')}."
        )
    problem = fragment_problem(kwargs, settings.container_name, reserved_tags=set())
    if problem:
        raise ConfigError(f"{key}: {problem}")


def _placement(settings: ExecutorSettings, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    # run_task_kwargs is merged over the settings, so a placement there replaces the settings' one.
    if "capacityProviderStrategy" in kwargs:
        return {"capacityProviderStrategy": kwargs["capacityProviderStrategy"]}
    if "launchType" in kwargs:
        return {"launchType": kwargs["launchType"]}
    if settings.capacity_provider_strategy:
        return {"capacityProviderStrategy": [dict(item) for item in settings.capacity_provider_strategy]}
    if settings.launch_type:
        return {"launchType": settings.launch_type}
    return {}


def _network(settings: ExecutorSettings, platform: Platform) -> dict[str, Any]:
    network: dict[str, Any] = {}
    if settings.subnets:
        network["subnets"] = list(settings.subnets)
    if settings.security_groups:
        network["securityGroups"] = list(settings.security_groups)
    if platform == "fargate":
        network["assignPublicIp"] = "ENABLED" if settings.assign_public_ip else "DISABLED"
    elif settings.assign_public_ip:
        raise ConfigError(
            f"{where('assign_public_ip')} is True, but only Fargate tasks can have public IPs and "
            "this config does not run on Fargate; set it to False."
        )
    return network


def _check_base(request: Mapping[str, Any]) -> None:
    # Network first: a missing subnet is the commonest mistake, and botocore's wording for it is vague.
    if platform_of(request) == "fargate" and not awsvpc_of(request).get("subnets"):
        raise ConfigError(
            f"{where('subnets')} is not set, and Fargate tasks need subnets (awsvpc networking); "
            "set it to a comma-separated list of subnet ids, or give "
            f"networkConfiguration.awsvpcConfiguration.subnets in {where('run_task_kwargs')}."
        )
    if "networkConfiguration" in request and not awsvpc_of(request).get("subnets"):
        raise ConfigError(
            f"{where('subnets')} is not set, but awsvpc networking is configured (security groups or "
            "assign_public_ip); awsvpc needs subnets, so set it."
        )
    problems = run_task_problems(request)
    if problems:
        raise ConfigError(
            f"The RunTask request built from [{SECTION}] is not valid for ECS: {'; '.join(problems)}. "
            f"Check {where('run_task_kwargs')} and {where('capacity_provider_strategy')}."
        )
