"""What a project grants its own code in farflow.toml's `[permissions]`: statements and managed policies.

Three role kinds run the project's code, and only they take grants: the Airflow task definition's task
role (`airflow_task`), the Edge workers' (`worker`) and each tasks/<name> folder's (`tasks.<name>`).
farflow's own roles (scheduler, api-server, dag-processor, triggerer, migration) keep exactly the
policies `farflow.spec.iam` gives them. The statements become one named policy per role in
`farflow.spec.iam.stack_policies`, so the deploy and the local stack render them alike; managed policy
ARNs are attached by the deploy only (the local endpoint cannot know an AWS managed policy's content).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

ALLOW, DENY = "Allow", "Deny"
AIRFLOW_TASK, WORKER, TASKS = "airflow_task", "worker", "tasks"
ROLE_KEYS = (AIRFLOW_TASK, WORKER, TASKS)
"""The keys of `[permissions]`: `tasks` holds one table per tasks/<name> folder."""


@dataclass(frozen=True)
class ProjectStatement:
    """One IAM statement as farflow.toml writes it (lower-case keys), checked."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    effect: str = ALLOW
    conditions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    not_actions: bool = False
    """`actions` are IAM's NotAction: the statement covers every action but these."""
    not_resources: bool = False
    """`resources` are IAM's NotResource."""
    sid: str = ""

    def document(self) -> dict[str, Any]:
        """The statement in IAM's policy grammar."""
        statement: dict[str, Any] = {"Sid": self.sid} if self.sid else {}
        statement |= {
            "Effect": self.effect,
            "NotAction" if self.not_actions else "Action": list(self.actions),
            "NotResource" if self.not_resources else "Resource": list(self.resources),
        }
        if self.conditions:
            statement["Condition"] = {operator: dict(body) for operator, body in self.conditions.items()}
        return statement


@dataclass(frozen=True)
class RoleGrants:
    """What one role is given: managed policy ARNs (deploy only) and statements (both platforms)."""

    managed_policies: tuple[str, ...] = ()
    statements: tuple[ProjectStatement, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.managed_policies or self.statements)


@dataclass(frozen=True)
class ProjectPermissions:
    """`[permissions]`: the grants of the Airflow task role, the worker role and the tasks/<name> roles."""

    airflow_task: RoleGrants = RoleGrants()
    worker: RoleGrants = RoleGrants()
    tasks: tuple[tuple[str, RoleGrants], ...] = ()
    """(folder, grants) of each `[permissions.tasks.<folder>]`, in the file's order."""

    def folder(self, name: str) -> RoleGrants:
        return dict(self.tasks).get(name, RoleGrants())

    def managed(self) -> Iterator[tuple[str, str]]:
        """(role key as farflow.toml writes it, ARN) of every managed policy, for the local warning."""
        for key, grants in (("airflow_task", self.airflow_task), ("worker", self.worker)):
            yield from ((key, arn) for arn in grants.managed_policies)
        for folder, grants in self.tasks:
            yield from ((f"tasks.{folder}", arn) for arn in grants.managed_policies)
