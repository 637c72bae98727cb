"""Builds the executor's boto3 clients (ECS; SQS for task events; S3 and KMS for the workload store):
the same code path against AWS and against farflow's local endpoint."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

from farflow.executor.settings import ConfigError, ExecutorSettings, where

log = logging.getLogger(__name__)


def _session(settings: ExecutorSettings) -> Any:
    if not settings.conn_id:
        return boto3.session.Session(region_name=settings.region)
    try:
        from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
    except ImportError:
        raise ConfigError(
            f"{where('conn_id')} is {settings.conn_id!r}, but the Amazon provider is not installed; "
            "install apache-airflow-providers-amazon or unset it."
        ) from None
    return AwsBaseHook(aws_conn_id=settings.conn_id, region_name=settings.region).get_session(
        region_name=settings.region
    )


def make_client(settings: ExecutorSettings, service: str = "ecs", pool: int | None = None) -> Any:
    """One client shared by all threads (boto3 clients are thread-safe); farflow does its own retries.

    `user_agent_extra="farflow"` lets the local endpoint tell the executor's calls from other clients'.
    The pool defaults to one connection per launcher thread, and a few more.
    """
    pool = pool if pool is not None else settings.launch_concurrency + 4
    config = Config(
        region_name=settings.region,
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=5,
        read_timeout=30,  # longer than SQS's longest long poll (20 s)
        max_pool_connections=pool,
        user_agent_extra="farflow",
        # An endpoint of our own (the local one) is an address, not a domain: name buckets in the path.
        s3={"addressing_style": "path"} if settings.endpoint_url else None,
    )
    return _session(settings).client(service, endpoint_url=settings.endpoint_url, config=config)


def make_ecs_client(settings: ExecutorSettings) -> Any:
    return make_client(settings, "ecs")


class SharedClient:
    """A boto3 client that threads share, made again from its factory after a credentials error."""

    def __init__(self, factory: Callable[[], Any], service: str) -> None:
        self._factory = factory
        self._service = service
        self._client = factory()
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            return self._client

    def rebuild(self) -> None:
        """Swap in a fresh client; if that fails, keep the old one and log why."""
        try:
            client = self._factory()
        except Exception as error:
            log.warning("Could not rebuild the %s client: %s", self._service, error)
            return
        with self._lock:
            self._client = client


def make_sqs_client(settings: ExecutorSettings) -> Any:
    """The events reader's client: one thread, one long poll at a time."""
    return make_client(settings, "sqs", 2)
