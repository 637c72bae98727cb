"""The endpoint tells the executor's calls from other clients' by User-Agent, as botocore really sends it."""

from __future__ import annotations

import pytest

from farflow.executor.client import make_ecs_client
from farflow.executor.settings import settings_from_mapping
from farflow.local.endpoint.calls import FARFLOW_CLIENT, OTHER_CLIENT
from tests.integration.local.conftest import CLUSTER, Local
from tests.support.aws_calls import called_operations, undeclared


def test_the_executors_client_is_counted_apart_and_an_undeclared_call_is_reported(
    local: Local, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "farflow-local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "farflow-local")
    endpoint = local.endpoint
    before = endpoint.client_calls()
    settings = settings_from_mapping(
        {
            "region": "us-east-1",
            "cluster": CLUSTER,
            "container_name": "main",
            "task_definition": "probe",
            "endpoint_url": endpoint.url,
        }
    )
    executor_ecs = make_ecs_client(settings)
    executor_ecs.describe_clusters(clusters=[CLUSTER])
    executor_ecs.list_clusters()  # not in aws_actions: IAM would deny it on AWS
    local.ecs.describe_clusters(clusters=[CLUSTER])

    after = endpoint.client_calls()
    executor = after[FARFLOW_CLIENT]
    assert executor == {"DescribeClusters": 1, "ListClusters": 1}
    assert FARFLOW_CLIENT not in before
    others = after[OTHER_CLIENT]
    assert others["DescribeClusters"] == before.get(OTHER_CLIENT, {}).get("DescribeClusters", 0) + 1
    assert undeclared(executor, called_operations()) == ["ListClusters"]
    assert endpoint.calls()["DescribeClusters"] >= 2  # the all-clients ECS counter is unchanged
