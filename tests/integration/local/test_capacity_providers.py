"""Capacity providers on the local endpoint behave as on ECS: the seeded cluster has FARGATE and
FARGATE_SPOT associated, like the deployed one, and a RunTask naming a provider its cluster lacks fails
with ECS's InvalidParameterException instead of starting (moto alone would start it)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from farflow.local.endpoint import ImageResolver, LocalEcsEndpoint
from farflow.local.seed import seed_network
from farflow.spec import CAPACITY_PROVIDERS, Names
from farflow.spec.cluster import NOT_ASSOCIATED
from tests.integration.local.conftest import Local, seed

SPOT = [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]
QUICK = ["python", "-c", "print('ran')"]


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Local]:
    images = ImageResolver(project_dir=tmp_path_factory.mktemp("project"))
    with LocalEcsEndpoint(images=images, fork_server=False) as endpoint:
        yield seed(endpoint)


def refused(local: Local, cluster: str, strategy: list[dict[str, object]]) -> ClientError:
    started_by = f"refused-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError) as caught:
        local.run(
            local.register(QUICK), cluster=cluster, capacityProviderStrategy=strategy, startedBy=started_by
        )
    assert local.ecs.list_tasks(cluster=cluster, startedBy=started_by)["taskArns"] == []
    return caught.value


def test_the_seeded_cluster_has_the_deployed_clusters_providers_and_runs_spot_tasks(local: Local) -> None:
    names = Names("spot-seed")
    network = seed_network(local.endpoint.url, local.endpoint.region, names)
    cluster = local.ecs.describe_clusters(clusters=[names.cluster])["clusters"][0]
    assert tuple(cluster["capacityProviders"]) == CAPACITY_PROVIDERS

    response = local.ecs.run_task(
        cluster=names.cluster,
        taskDefinition=local.register(QUICK),
        capacityProviderStrategy=SPOT,
        networkConfiguration={"awsvpcConfiguration": {"subnets": list(network.subnets)}},
    )
    assert response["failures"] == []
    assert [task["capacityProviderName"] for task in response["tasks"]] == ["FARGATE_SPOT"]


def test_a_provider_the_cluster_lacks_is_ecss_invalid_parameter(local: Local) -> None:
    local.ecs.create_cluster(clusterName="no-providers")
    error = refused(local, "no-providers", SPOT).response["Error"]
    assert (error["Code"], error["Message"]) == ("InvalidParameterException", NOT_ASSOCIATED)


def test_every_provider_of_a_strategy_must_be_associated(local: Local) -> None:
    local.ecs.create_cluster(clusterName="on-demand-only", capacityProviders=["FARGATE"])
    mixed = [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}, *SPOT]
    assert refused(local, "on-demand-only", mixed).response["Error"]["Code"] == "InvalidParameterException"

    on_demand = [{"capacityProvider": "FARGATE", "weight": 1}]
    response = local.run(local.register(QUICK), cluster="on-demand-only", capacityProviderStrategy=on_demand)
    assert [task["capacityProviderName"] for task in response["tasks"]] == ["FARGATE"]
