"""RunTask's clientToken: a repeated token on the same cluster returns the first call's tasks and starts
nothing, as ECS does (docs/local-endpoint.md)."""

from __future__ import annotations


class ClientTokens:
    """The task ARNs each (cluster ARN, clientToken) launched. Used with MOTO_LOCK held (ecs_api.py)."""

    def __init__(self) -> None:
        self._launched: dict[tuple[str, str], list[str]] = {}

    def replay(self, cluster_arn: str, token: str) -> list[str] | None:
        """The task ARNs an earlier RunTask with this clientToken launched, if any."""
        return self._launched.get((cluster_arn, token))

    def remember(self, cluster_arn: str, token: str, arns: list[str]) -> None:
        self._launched[(cluster_arn, token)] = arns
