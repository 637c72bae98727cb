"""A statement's `Condition` block, decided as AWS decides it.

What is relied on, from AWS's IAM User Guide:
- "IAM JSON policy elements: Condition operators"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
  a key absent from the request makes a condition false, except that a negated operator
  (StringNotEquals, StringNotLike, ArnNotLike, NotIpAddress, ...) is then true; `...IfExists` is true
  when the key is absent and otherwise the operator's own test; `Null` tests presence alone ("true": the
  key is absent, "false": present). Several values for one key match if any matches, and for a negated
  operator the effect is an AND (the value matches none of them). Operators and keys in one block AND.
  ArnEquals and ArnLike alike compare the six colon-separated parts one by one, each with `*` and `?`.
- "Single-valued vs. multivalued context keys"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html):
  `ForAllValues:` is true when every request value matches some policy value, and also when the key is
  absent or empty; `ForAnyValue:` is true when at least one request value does, false when the key is
  absent. With a negated operator the per-value test is negated ("matches none of the policy values").
  A multivalued key under a plain operator (AWS says to use a set operator) is read as "any value".
Condition key names are case-insensitive; policy variables (`${aws:username}`) are not expanded.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from farflow.policy.errors import PolicyError

Values = tuple[str, ...]
Context = Mapping[str, Values]
"""Condition keys of a request, lower-cased, each with its values (one for a single-valued key)."""
Comparator = Callable[[str, str], bool]


@lru_cache(maxsize=4096)
def wildcard(pattern: str, ignore_case: bool = False, star: str = ".*") -> re.Pattern[str]:
    """`*` (any run of characters, `star` as a regex) and `?` (one character) as a compiled regex."""
    parts = [star if char == "*" else "." if char == "?" else re.escape(char) for char in pattern]
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _like(value: str, pattern: str) -> bool:
    return wildcard(pattern).fullmatch(value) is not None


def _arn_like(value: str, pattern: str) -> bool:
    values, patterns = value.split(":", 5), pattern.split(":", 5)
    if len(values) != 6 or len(patterns) != 6:
        return False
    return all(wildcard(p).fullmatch(v) is not None for v, p in zip(values, patterns, strict=True))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _numeric(test: Callable[[float, float], bool]) -> Comparator:
    def compare(value: str, policy: str) -> bool:
        left, right = _number(value), _number(policy)
        return left is not None and right is not None and test(left, right)

    return compare


def _date(text: str) -> datetime | None:
    number = _number(text)
    if number is not None:
        return datetime.fromtimestamp(number, tz=timezone.utc)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _dates(test: Callable[[datetime, datetime], bool]) -> Comparator:
    def compare(value: str, policy: str) -> bool:
        left, right = _date(value), _date(policy)
        return left is not None and right is not None and test(left, right)

    return compare


def _binary(value: str, policy: str) -> bool:
    try:
        return base64.b64decode(value, validate=True) == base64.b64decode(policy, validate=True)
    except (binascii.Error, ValueError):
        return False


def _ip(value: str, policy: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(policy, strict=False)
    except ValueError:
        return False


@dataclass(frozen=True)
class Operator:
    """A base operator: its per-value test, and whether it is the negation of that test."""

    compare: Comparator
    negated: bool = False


def _pair(name: str, negation: str, compare: Comparator) -> dict[str, Operator]:
    return {name: Operator(compare), negation: Operator(compare, negated=True)}


OPERATORS: dict[str, Operator] = {
    **_pair("StringEquals", "StringNotEquals", lambda v, p: v == p),
    **_pair("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", lambda v, p: v.casefold() == p.casefold()),
    **_pair("StringLike", "StringNotLike", _like),
    **_pair("NumericEquals", "NumericNotEquals", _numeric(lambda v, p: v == p)),
    "NumericLessThan": Operator(_numeric(lambda v, p: v < p)),
    "NumericLessThanEquals": Operator(_numeric(lambda v, p: v <= p)),
    "NumericGreaterThan": Operator(_numeric(lambda v, p: v > p)),
    "NumericGreaterThanEquals": Operator(_numeric(lambda v, p: v >= p)),
    **_pair("DateEquals", "DateNotEquals", _dates(lambda v, p: v == p)),
    "DateLessThan": Operator(_dates(lambda v, p: v < p)),
    "DateLessThanEquals": Operator(_dates(lambda v, p: v <= p)),
    "DateGreaterThan": Operator(_dates(lambda v, p: v > p)),
    "DateGreaterThanEquals": Operator(_dates(lambda v, p: v >= p)),
    "Bool": Operator(lambda v, p: v.lower() == p.lower()),
    "BinaryEquals": Operator(_binary),
    **_pair("IpAddress", "NotIpAddress", _ip),
    **_pair("ArnEquals", "ArnNotEquals", _arn_like),
    **_pair("ArnLike", "ArnNotLike", _arn_like),
}
SET_OPERATORS = ("ForAnyValue", "ForAllValues")


@dataclass(frozen=True)
class ParsedOperator:
    """`[ForAnyValue:|ForAllValues:]<base>[IfExists]`, or `Null`."""

    name: str
    base: Operator | None  # None: the Null check
    set_operator: str | None = None
    if_exists: bool = False


@lru_cache(maxsize=256)
def parse_operator(name: str) -> ParsedOperator:
    """The operator a Condition block names; PolicyError for one AWS would reject."""
    set_operator, _, base_name = name.rpartition(":")
    if set_operator and set_operator not in SET_OPERATORS:
        raise PolicyError(f"Unknown condition set operator {set_operator!r} in {name!r}")
    if base_name == "Null":
        if set_operator:
            raise PolicyError(f"The Null condition operator takes no set operator: {name!r}")
        return ParsedOperator(name, None)
    if_exists = base_name.endswith("IfExists")
    base = OPERATORS.get(base_name.removesuffix("IfExists") if if_exists else base_name)
    if base is None:
        raise PolicyError(f"Unknown condition operator {name!r}")
    return ParsedOperator(name, base, set_operator or None, if_exists)


def policy_values(raw: Any) -> Values:
    """A Condition value (one or a list; JSON booleans and numbers as AWS reads them) as strings."""
    items = raw if isinstance(raw, list) else [raw]
    return tuple(("true" if item else "false") if isinstance(item, bool) else str(item) for item in items)


def _any_match(base: Operator, value: str, wanted: Values) -> bool:
    return any(base.compare(value, policy) for policy in wanted)


def holds(operator: ParsedOperator, present: Values | None, wanted: Values) -> bool:
    """One operator on one key: `present` the request's values (None: the key is absent)."""
    absent = not present
    if operator.base is None:  # Null: "true" means absent, "false" present
        return any((value.lower() == "true") == absent for value in wanted)
    if absent and operator.if_exists:
        return True
    base = operator.base
    if operator.set_operator == "ForAllValues":
        return absent or all(_any_match(base, value, wanted) != base.negated for value in present or ())
    if operator.set_operator == "ForAnyValue":
        return not absent and any(_any_match(base, value, wanted) != base.negated for value in present or ())
    matched = not absent and any(_any_match(base, value, wanted) for value in present or ())
    return matched != base.negated


def block_holds(condition: Mapping[str, Mapping[str, Any]], context: Context) -> bool:
    """A whole Condition block: every operator, every key in it (AND), each key's values (OR)."""
    for name, keys in condition.items():
        operator = parse_operator(name)
        if not isinstance(keys, Mapping):
            raise PolicyError(f"Condition operator {name!r} must map condition keys to values")
        for key, raw in keys.items():
            if not holds(operator, context.get(key.lower()), policy_values(raw)):
                return False
    return True


def context_of(keys: Mapping[str, str | bool | Sequence[str]]) -> dict[str, Values]:
    """A request's condition keys as `block_holds` reads them: names lower-cased, values as tuples."""
    found: dict[str, Values] = {}
    for key, value in keys.items():
        if isinstance(value, bool):
            found[key.lower()] = ("true" if value else "false",)
        elif isinstance(value, str):
            found[key.lower()] = (value,)
        else:
            found[key.lower()] = tuple(value)
    return found
