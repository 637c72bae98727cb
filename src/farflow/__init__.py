"""farflow: Apache Airflow on AWS Fargate, serverless end to end."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["EcsFargateExecutor", "__version__"]

if TYPE_CHECKING:
    from farflow.executor import EcsFargateExecutor


def __getattr__(name: str) -> Any:
    # Lazy so that `import farflow` (the provider entry point, the CLI) never imports Airflow's executor code.
    if name == "EcsFargateExecutor":
        from farflow.executor import EcsFargateExecutor

        return EcsFargateExecutor
    raise AttributeError(name)
