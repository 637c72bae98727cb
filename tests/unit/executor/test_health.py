"""Health-check messages for what moto cannot produce (IAM denials), via botocore's own Stubber."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from farflow.executor.health import HealthCheckError, check_health
from farflow.executor.settings import settings_from_mapping

SETTINGS = settings_from_mapping(
    {
        "region": "us-east-1",
        "cluster": "airflow",
        "container_name": "airflow",
        "task_definition": "airflow-task",
    }
)
CLUSTER = {"clusters": [{"clusterName": "airflow", "status": "ACTIVE"}], "failures": []}


def ecs() -> object:
    return boto3.client("ecs", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")


def test_denied_describe_clusters_names_the_permissions() -> None:
    client = ecs()
    with Stubber(client) as stub:
        stub.add_client_error("describe_clusters", "AccessDeniedException", "not authorized", 400)
        with pytest.raises(HealthCheckError, match=r"ecs:DescribeClusters.*ecs:RunTask.*iam:PassRole"):
            check_health(client, SETTINGS)


def test_denied_describe_task_definition_names_the_permission() -> None:
    client = ecs()
    with Stubber(client) as stub:
        stub.add_response("describe_clusters", CLUSTER)
        stub.add_client_error("describe_task_definition", "AccessDeniedException", "not authorized", 400)
        with pytest.raises(HealthCheckError, match="ecs:DescribeTaskDefinition"):
            check_health(client, SETTINGS)


def test_throttling_during_the_check_is_ridden_out() -> None:
    client = ecs()
    with Stubber(client) as stub:
        stub.add_client_error("describe_clusters", "ThrottlingException", "Rate exceeded", 400)
        stub.add_response("describe_clusters", CLUSTER)
        stub.add_response(
            "describe_task_definition",
            {"taskDefinition": {"family": "airflow-task", "containerDefinitions": [{"name": "airflow"}]}},
        )
        check_health(client, SETTINGS)
        stub.assert_no_pending_responses()
