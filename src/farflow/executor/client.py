"""Builds the boto3 ECS client: the same code path against AWS and against farflow's local endpoint."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from farflow.executor.config import ConfigError, ExecutorSettings


def _session(settings: ExecutorSettings) -> Any:
    if not settings.conn_id:
        return boto3.session.Session(region_name=settings.region)
    try:
        from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
    except ImportError:
        raise ConfigError(
            f"[ecs_fargate] conn_id is {settings.conn_id!r}, but the Amazon provider is not installed; "
            "install apache-airflow-providers-amazon or unset AIRFLOW__ECS_FARGATE__CONN_ID."
        ) from None
    return AwsBaseHook(aws_conn_id=settings.conn_id, region_name=settings.region).get_session(
        region_name=settings.region
    )


def make_ecs_client(settings: ExecutorSettings) -> Any:
    """One client shared by all threads (boto3 clients are thread-safe); farflow does its own retries."""
    config = Config(
        region_name=settings.region,
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=5,
        read_timeout=30,
        max_pool_connections=settings.launch_concurrency + 4,
        user_agent_extra="farflow",
    )
    return _session(settings).client("ecs", endpoint_url=settings.endpoint_url, config=config)
