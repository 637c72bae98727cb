"""Local Fargate: a loopback ECS + CloudWatch Logs endpoint, built on moto, that runs each task's command
as a local process with ECS's lifecycle, stop codes, memory limit and awslogs output.

    with LocalEcsEndpoint(images=ImageResolver(project_dir=Path("."))) as endpoint:
        ecs = boto3.client("ecs", endpoint_url=endpoint.url, region_name="us-east-1")

See docs/local-endpoint.md and docs/local-images.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from farflow.local.endpoint.faults import FaultSettings, FaultSettingsError
from farflow.local.endpoint.image_resolver import ImageResolver

if TYPE_CHECKING:
    from farflow.local.endpoint.server import LocalEcsEndpoint

__all__ = ["FaultSettings", "FaultSettingsError", "ImageResolver", "LocalEcsEndpoint"]


def __getattr__(name: str) -> Any:
    # Lazy: moto takes seconds to import, and the pure parts (faults, images, lifecycle) do not need it.
    if name == "LocalEcsEndpoint":
        from farflow.local.endpoint.server import LocalEcsEndpoint

        return LocalEcsEndpoint
    raise AttributeError(name)
