"""farflow's Airflow executor: every Airflow task runs as its own ECS task."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["EcsFargateExecutor"]

if TYPE_CHECKING:
    from farflow.executor.ecs_fargate_executor import EcsFargateExecutor


def __getattr__(name: str) -> Any:
    # Lazy: the provider entry point reads farflow.executor.settings without importing the executor.
    if name == "EcsFargateExecutor":
        from farflow.executor.ecs_fargate_executor import EcsFargateExecutor

        return EcsFargateExecutor
    raise AttributeError(name)
