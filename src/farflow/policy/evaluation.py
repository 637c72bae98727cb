"""Statements and policies decided against one request: explicit deny, allow, or implicit deny.

What is relied on, from AWS's IAM User Guide:
- "Policy evaluation logic" and "Policy evaluation for requests within a single account"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
  .../reference_policies_evaluation-logic_policy-eval-basics.html): every request is denied by default;
  a matching Deny in any applicable policy wins over any Allow; within one account the identity-based and
  resource-based policies' Allows are a union (either one allowing is enough).
- "IAM JSON policy elements: Resource" (.../reference_policies_elements_resource.html): `*` and `?` work
  within one colon-separated segment of an ARN; a `*` that ends a segment may match across colons.
- "IAM JSON policy elements: Action / NotAction / Principal / NotPrincipal": actions are matched without
  regard to case; a principal of an account (`123456789012` or `arn:aws:iam::123456789012:root`) stands
  for every principal of that account; `"*"` and `{"AWS": "*"}` for everyone.
- "Key policies in AWS KMS" (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html):
  a key's own policy must allow a request; naming the account hands the decision to IAM (`authorize`).
Not modelled: cross-account requests, SCPs and RCPs, permissions boundaries, session policies, KMS grants,
and policy variables. The caller names the principal by its IAM ARN (a role's, for a role session).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from farflow.policy.conditions import Context, block_holds, context_of, wildcard
from farflow.policy.errors import PolicyError


class Decision(enum.Enum):
    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


@dataclass(frozen=True)
class Request:
    """One request's context: what is asked, on what, by whom, and its condition keys."""

    action: str
    resource: str
    principal: str | None = None
    """The caller's IAM ARN (a role's ARN for its sessions, `aws:PrincipalArn`), a service principal's
    name (`lambda.amazonaws.com`), or None for an anonymous request."""
    keys: Mapping[str, str | bool | Sequence[str]] = field(default_factory=dict)

    @property
    def context(self) -> Context:
        return context_of(self.keys)


@dataclass(frozen=True)
class Statement:
    """One statement, its elements normalised to tuples; `principals` None when it names none."""

    effect: str
    sid: str
    actions: tuple[str, ...]
    not_actions: bool
    resources: tuple[str, ...]
    not_resources: bool
    principals: tuple[tuple[str, str], ...] | None
    not_principals: bool
    condition: Mapping[str, Mapping[str, Any]]

    def applies(self, request: Request, context: Context | None = None) -> bool:
        """Principal, action, resource and condition all match `request`."""
        if self.principals is not None:
            named = any(_principal_matches(kind, value, request.principal) for kind, value in self.principals)
            if named == self.not_principals:
                return False
        if any(_action_matches(pattern, request.action) for pattern in self.actions) == self.not_actions:
            return False
        if self.resources and (
            any(resource_matches(pattern, request.resource) for pattern in self.resources)
            == self.not_resources
        ):
            return False
        return block_holds(self.condition, request.context if context is None else context)


@dataclass(frozen=True)
class Evaluation:
    """A decision and the statements that made it (their Sids, or `#<index>`)."""

    decision: Decision
    statements: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW


def _strings(value: Any, element: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) for item in items):
        raise PolicyError(f"A statement's {element} must be a string or a list of strings, not {value!r}")
    return tuple(items)


def _principals(value: Any) -> tuple[tuple[str, str], ...]:
    if value == "*":
        return (("AWS", "*"),)
    if not isinstance(value, Mapping):
        raise PolicyError(f"A statement's Principal must be '*' or a mapping, not {value!r}")
    return tuple(
        (kind, item) for kind, items in value.items() for item in _strings(items, f"Principal {kind}")
    )


def _one_of(raw: Mapping[str, Any], name: str) -> tuple[Any, bool]:
    """An element or its Not form (value, is the Not form); PolicyError if both or, for Action, neither."""
    if name in raw and f"Not{name}" in raw:
        raise PolicyError(f"A statement has both {name} and Not{name}")
    if f"Not{name}" in raw:
        return raw[f"Not{name}"], True
    return raw.get(name), False


def parse_statement(raw: Mapping[str, Any], index: int = 0) -> Statement:
    """One statement as written in a policy document; PolicyError for one AWS would reject."""
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(
            f"Statement {raw.get('Sid', index)!r}: Effect must be Allow or Deny, not {effect!r}"
        )
    actions, not_actions = _one_of(raw, "Action")
    if actions is None:
        raise PolicyError(f"Statement {raw.get('Sid', index)!r} has no Action or NotAction")
    resources, not_resources = _one_of(raw, "Resource")
    principal, not_principals = _one_of(raw, "Principal")
    condition = raw.get("Condition") or {}
    if not isinstance(condition, Mapping):
        raise PolicyError(f"Statement {raw.get('Sid', index)!r}: Condition must be a mapping")
    return Statement(
        effect=effect,
        sid=str(raw.get("Sid") or f"#{index}"),
        actions=_strings(actions, "Action"),
        not_actions=not_actions,
        resources=() if resources is None else _strings(resources, "Resource"),
        not_resources=not_resources,
        principals=None if principal is None else _principals(principal),
        not_principals=not_principals,
        condition=condition,
    )


def parse_policy(document: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> tuple[Statement, ...]:
    """A policy document (`{"Statement": ...}`) or a bare list of statements."""
    raw = document.get("Statement", ()) if isinstance(document, Mapping) else document
    statements = [raw] if isinstance(raw, Mapping) else list(raw)
    return tuple(parse_statement(statement, index) for index, statement in enumerate(statements))


def _action_matches(pattern: str, action: str) -> bool:
    return wildcard(pattern, ignore_case=True).fullmatch(action) is not None


@lru_cache(maxsize=4096)
def _resource_pattern(pattern: str) -> re.Pattern[str]:
    """A `*` ending a segment (before `:` or at the end) spans colons; elsewhere it stays in its segment."""
    parts: list[str] = []
    for position, char in enumerate(pattern):
        if char == "*":
            ends_segment = position + 1 == len(pattern) or pattern[position + 1] == ":"
            parts.append(".*" if ends_segment else "[^:]*")
        elif char == "?":
            parts.append("[^:]")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def resource_matches(pattern: str, resource: str) -> bool:
    return _resource_pattern(pattern).fullmatch(resource) is not None


def _account_of(arn: str) -> str | None:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[0] == "arn" else None


def _principal_match(kind: str, value: str, principal: str | None) -> str | None:
    """How a Principal entry names the caller: "direct" (itself, or everyone), "account" (its account),
    or None (not at all)."""
    if kind == "AWS" and value == "*":
        return "direct"
    if principal is None:
        return None
    if kind != "AWS":  # Service, Federated, CanonicalUser: the name itself
        return "direct" if value == principal else None
    if value.isdigit():
        return "account" if _account_of(principal) == value else None
    if value.endswith(":root") and _account_of(value) is not None:
        return "account" if _account_of(principal) == _account_of(value) else None
    return "direct" if value == principal else None


def _principal_matches(kind: str, value: str, principal: str | None) -> bool:
    return _principal_match(kind, value, principal) is not None


def _names_caller_directly(statement: Statement, principal: str | None) -> bool:
    if statement.principals is None or statement.not_principals:
        return True
    return any(_principal_match(kind, value, principal) == "direct" for kind, value in statement.principals)


def evaluate(policies: Iterable[Sequence[Statement]], request: Request) -> Evaluation:
    """The decision of every statement of `policies` on `request`: any matching Deny, else any matching
    Allow, else the implicit deny. For one account's identity-based and resource-based policies alike."""
    context = request.context
    allows: list[str] = []
    denies: list[str] = []
    for statements in policies:
        for statement in statements:
            if statement.applies(request, context):
                (denies if statement.effect == "Deny" else allows).append(statement.sid)
    if denies:
        return Evaluation(Decision.EXPLICIT_DENY, tuple(denies))
    if allows:
        return Evaluation(Decision.ALLOW, tuple(allows))
    return Evaluation(Decision.IMPLICIT_DENY)


def authorize(
    request: Request,
    identity: Iterable[Sequence[Statement]] = (),
    resource: Sequence[Statement] = (),
    *,
    resource_must_allow: bool = False,
) -> Evaluation:
    """One same-account request decided on the caller's identity-based policies and the resource's
    policy: `evaluate` on all of them, their Allows a union.

    `resource_must_allow` is for a KMS key, whose key policy must itself allow the request ("Key
    policies in AWS KMS", https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html): a
    statement naming the caller (or everyone) is enough; one naming only the caller's account hands the
    decision to IAM, so an identity-based policy must allow it as well.
    """
    identity = list(identity)
    overall = evaluate([*identity, resource], request)
    if overall.decision is not Decision.ALLOW or not resource_must_allow:
        return overall
    context = request.context
    allowing = [s for s in resource if s.effect == "Allow" and s.applies(request, context)]
    direct = tuple(s.sid for s in allowing if _names_caller_directly(s, request.principal))
    if direct:
        return Evaluation(Decision.ALLOW, direct)
    by_identity = evaluate(identity, request)
    if allowing and by_identity.allowed:
        return Evaluation(Decision.ALLOW, (*(s.sid for s in allowing), *by_identity.statements))
    return Evaluation(Decision.IMPLICIT_DENY)
