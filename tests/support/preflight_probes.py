"""Preflight probes that answer like a ready machine and account, for deploy tests to break one at a time."""

from __future__ import annotations

from pathlib import Path

from farflow.deploy.preflight import Probes
from farflow.deploy.toolkit import Node, NodeSearch

ACCOUNT = "123456789012"
REGION = "eu-west-1"
NODE = Node(Path("/opt/node/bin/node"), ("/opt/node/bin/node", "/opt/node/npx-cli.js"), "a test")


def ready_probes() -> Probes:
    """Node.js, Docker, credentials for ACCOUNT, REGION from the profile, bootstrap version 21, the
    stack deployed before."""
    return Probes(
        node=lambda: NodeSearch(NODE, ()),
        docker=lambda: None,
        region=lambda: REGION,
        account=lambda region: ACCOUNT,
        bootstrap_version=lambda region: 21,
        stack_status=lambda region, name: "UPDATE_COMPLETE",
    )
