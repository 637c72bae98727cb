"""RunTask's clientToken: the same token on the same cluster replays its tasks; anywhere else it is new."""

from __future__ import annotations

from farflow.local.endpoint.client_tokens import ClientTokens


def test_a_token_replays_on_its_own_cluster_only() -> None:
    tokens = ClientTokens()
    assert tokens.replay("cluster/a", "t") is None
    tokens.remember("cluster/a", "t", ["arn:1"])
    assert tokens.replay("cluster/a", "t") == ["arn:1"]
    assert tokens.replay("cluster/b", "t") is None
    assert tokens.replay("cluster/a", "u") is None
