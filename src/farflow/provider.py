"""Airflow provider metadata, so `airflow config list --defaults` shows the `[ecs_fargate]` section."""

from __future__ import annotations

from typing import Any

from farflow import __version__
from farflow.executor.settings import OPTIONS, SECTION


def get_cli_commands() -> list[Any]:
    return []


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "farflow",
        "name": "farflow",
        "description": "Runs every Airflow task as its own ECS task on Fargate, Fargate Spot or EC2.",
        "versions": [__version__],
        "executors": ["farflow.executor.EcsFargateExecutor"],
        # farflow adds no `airflow` subcommands (its own CLI is `farflow`); an empty list says so.
        "cli": ["farflow.provider.get_cli_commands"],
        "config": {
            SECTION: {
                "description": "farflow's ECS/Fargate executor (farflow.executor.EcsFargateExecutor).",
                "options": {
                    option.name: {
                        "description": option.description,
                        "version_added": "0.1.0",
                        "type": option.type,
                        "example": option.example,
                        "default": option.default,
                        # Airflow's config.yml marks an old name this way; its parser sets no default for it.
                        **(
                            {
                                "version_deprecated": option.version_deprecated,
                                "deprecation_reason": f"Renamed to {option.renamed_to}.",
                            }
                            if option.renamed_to
                            else {}
                        ),
                    }
                    for option in OPTIONS
                },
            }
        },
    }
