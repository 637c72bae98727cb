"""Whether the local endpoint's evaluator (`farflow.policy`) can decide a policy, before it is relied on.

`farflow.policy` parses a statement's elements up front but a Condition operator only when a request
reaches it; both the farflow.toml check and the local seed ask here first, so a statement it cannot
decide is refused with its reason rather than left out of every decision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from farflow.policy import PolicyError, parse_policy
from farflow.policy.conditions import parse_operator


def policy_problem(statements: Sequence[Mapping[str, Any]]) -> str | None:
    """None if `farflow.policy` parses every statement and condition operator; else its reason."""
    try:
        for statement in parse_policy(list(statements)):
            for operator in statement.condition:
                parse_operator(operator)
    except PolicyError as error:
        return str(error)
    return None
