"""What to change when ECS refuses a launch for good. AWS's message names the problem ("Cluster not
found."), not the farflow key or executor_config entry that caused it; the task event should name both."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from farflow.executor.settings import where


def launch_advice(reason: str, executor_config: Mapping[str, Any]) -> str | None:
    """The fix for a permanent RunTask failure whose `reason` quotes AWS, or None if there is no better
    advice than AWS's own message."""
    text = reason.lower()
    per_task = executor_config.get("task_definition")
    definition = f"executor_config 'task_definition' ({per_task!r})" if per_task else where("task_definition")
    if "clusternotfound" in text or "cluster not found" in text:
        return f"Create the cluster, or fix {where('cluster')}."
    if "is not a container in the taskdefinition" in text:
        return (
            f"The task definition of {definition} needs a container named as {where('container_name')}: "
            "add it there, or fix whichever names the other."
        )
    if "task definition" in text or "taskdefinition" in text:
        return f"Register that task definition, or fix {definition}."
    if "accessdenied" in text or "not authorized" in text:
        return "Grant the scheduler's role the action AWS names (`farflow deploy` grants what farflow needs)."
    return None


def with_advice(reason: str, executor_config: Mapping[str, Any]) -> str:
    """`reason`, followed by the fix when there is one."""
    fix = launch_advice(reason, executor_config)
    return f"{reason} Fix: {fix}" if fix else reason
