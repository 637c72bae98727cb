"""Endpoints started one after another in one process reuse moto's default account: each starts empty."""

from __future__ import annotations

from farflow.local.endpoint import LocalEcsEndpoint
from farflow.local.roles import find_resources, seed_roles
from farflow.local.seed import seed_network
from farflow.spec import Names

NAMES = Names()


def test_an_endpoint_that_reuses_an_account_starts_without_the_last_one_s_roles() -> None:
    """Each seeds the same role names into the same account (no other endpoint is alive)."""
    accounts = []
    for _ in range(2):
        with LocalEcsEndpoint(execute=False) as started:
            network = seed_network(started.url, started.region, NAMES)
            cluster_arn = f"arn:aws:ecs:{started.region}:{started.account_id}:cluster/{network.cluster}"
            resources = find_resources(
                started.url, started.region, cluster_arn, network.workload_store, NAMES
            )
            seed_roles(started.url, resources, NAMES, [])
            accounts.append(started.account_id)
    assert accounts[0] == accounts[1]
