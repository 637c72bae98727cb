"""Condition operators, one table row per documented rule: each row fails if that rule were read wrongly
(a missing key, a negation, IfExists, Null, several values, set operators)."""

from __future__ import annotations

from typing import Any

import pytest

from farflow.policy import PolicyError
from farflow.policy.conditions import block_holds, context_of

KEY = "s3:x-amz-server-side-encryption"
ABSENT: dict[str, Any] = {}

ROWS: list[tuple[str, Any, dict[str, Any], bool]] = [
    # operator, policy value(s), request keys, holds
    ("StringEquals", "aws:kms", {KEY: "aws:kms"}, True),
    ("StringEquals", "aws:kms", {KEY: "AWS:KMS"}, False),  # case-sensitive
    ("StringEquals", "aws:kms", ABSENT, False),  # an absent key matches nothing
    ("StringEquals", ["AES256", "aws:kms"], {KEY: "aws:kms"}, True),  # several values: OR
    ("StringNotEquals", "aws:kms", {KEY: "AES256"}, True),
    ("StringNotEquals", "aws:kms", {KEY: "aws:kms"}, False),
    ("StringNotEquals", "aws:kms", ABSENT, True),  # negated operator, absent key: true
    ("StringNotEquals", ["AES256", "aws:kms"], {KEY: "aws:kms"}, False),  # negated, several: NOR
    ("StringNotEquals", ["AES256", "aws:kms"], {KEY: "aws:kms:dsse"}, True),
    ("StringEqualsIfExists", "aws:kms", ABSENT, True),  # IfExists: absent is true
    ("StringEqualsIfExists", "aws:kms", {KEY: "AES256"}, False),
    ("StringNotEqualsIfExists", "aws:kms", ABSENT, True),  # the workload store's old trap
    ("StringNotEqualsIfExists", "aws:kms", {KEY: "aws:kms"}, False),
    ("StringEqualsIgnoreCase", "aws:kms", {KEY: "AWS:KMS"}, True),
    ("StringNotEqualsIgnoreCase", "aws:kms", {KEY: "AWS:KMS"}, False),
    ("StringLike", "aws:*", {KEY: "aws:kms"}, True),
    ("StringLike", "aws:km?", {KEY: "aws:kms"}, True),
    ("StringLike", "aws:km?", {KEY: "aws:kmss"}, False),
    ("StringLike", "aws:*", ABSENT, False),
    ("StringNotLike", "aws:*", {KEY: "AES256"}, True),
    ("StringNotLike", "aws:*", ABSENT, True),
    ("Null", "true", ABSENT, True),
    ("Null", "true", {KEY: "aws:kms"}, False),
    ("Null", "false", {KEY: "aws:kms"}, True),
    ("Null", "false", ABSENT, False),
    ("Null", False, ABSENT, False),  # a JSON boolean reads as its text
    ("Bool", "false", {KEY: False}, True),
    ("Bool", "false", {KEY: True}, False),
    ("Bool", "false", ABSENT, False),
    ("BoolIfExists", "false", ABSENT, True),
    ("NumericLessThan", "10", {KEY: "9"}, True),
    ("NumericLessThan", "10", {KEY: "10"}, False),
    ("NumericLessThanEquals", "10", {KEY: "10"}, True),
    ("NumericGreaterThan", "10", {KEY: "10.5"}, True),
    ("NumericGreaterThanEquals", "10", {KEY: "9"}, False),
    ("NumericEquals", "10", {KEY: "10.0"}, True),
    ("NumericNotEquals", "10", {KEY: "11"}, True),
    ("NumericNotEquals", "10", ABSENT, True),
    ("NumericEquals", "10", {KEY: "ten"}, False),
    ("DateLessThan", "2026-01-01T00:00:00Z", {KEY: "2025-12-31T23:59:59Z"}, True),
    ("DateGreaterThan", "2026-01-01T00:00:00Z", {KEY: "2025-12-31T23:59:59Z"}, False),
    ("DateEquals", "1767225600", {KEY: "2026-01-01T00:00:00Z"}, True),  # epoch seconds and ISO 8601
    ("IpAddress", "203.0.113.0/24", {KEY: "203.0.113.7"}, True),
    ("IpAddress", "203.0.113.0/24", {KEY: "198.51.100.7"}, False),
    ("IpAddress", "2001:db8::/32", {KEY: "2001:db8::1"}, True),
    ("NotIpAddress", "203.0.113.0/24", {KEY: "198.51.100.7"}, True),
    ("NotIpAddress", "203.0.113.0/24", ABSENT, True),
    ("ArnLike", "arn:aws:iam::*:role/farflow-*", {KEY: "arn:aws:iam::123456789012:role/farflow-s"}, True),
    ("ArnLike", "arn:aws:iam::*:role/farflow-*", {KEY: "arn:aws:iam::123456789012:user/farflow-s"}, False),
    ("ArnEquals", "arn:aws:iam::*:role/x", {KEY: "arn:aws:iam::123456789012:role/x"}, True),  # as ArnLike
    ("ArnLike", "arn:aws:iam::*", {KEY: "arn:aws:iam::123456789012:role/x"}, False),  # six parts each
    ("ArnNotLike", "arn:aws:iam::*:role/x", {KEY: "arn:aws:iam::1:role/y"}, True),
    ("ArnNotEquals", "arn:aws:iam::*:role/x", ABSENT, True),
    ("BinaryEquals", "QmluYXJ5", {KEY: "QmluYXJ5"}, True),
    ("BinaryEquals", "QmluYXJ5", {KEY: "QmluYXJ6"}, False),
    # Set operators on a multivalued key.
    ("ForAllValues:StringEquals", ["a", "b"], {KEY: ["a", "b"]}, True),
    ("ForAllValues:StringEquals", ["a", "b"], {KEY: ["a", "c"]}, False),
    ("ForAllValues:StringEquals", ["a", "b"], ABSENT, True),  # absent: true
    ("ForAllValues:StringEquals", ["a", "b"], {KEY: []}, True),  # empty: true
    ("ForAnyValue:StringEquals", ["a", "b"], {KEY: ["c", "b"]}, True),
    ("ForAnyValue:StringEquals", ["a", "b"], {KEY: ["c", "d"]}, False),
    ("ForAnyValue:StringEquals", ["a", "b"], ABSENT, False),  # absent: false, even negated
    ("ForAnyValue:StringNotEquals", ["a", "b"], ABSENT, False),
    ("ForAnyValue:StringNotEquals", ["a", "b"], {KEY: ["a", "c"]}, True),  # c matches none
    ("ForAnyValue:StringNotEquals", ["a", "b"], {KEY: ["a", "b"]}, False),
    ("ForAllValues:StringNotEquals", ["a", "b"], {KEY: ["c", "d"]}, True),  # none is a or b
    ("ForAllValues:StringNotEquals", ["a", "b"], {KEY: ["c", "a"]}, False),
    ("ForAllValues:StringLike", "Created*", {KEY: ["CreatedBy", "CreatedAt"]}, True),
    ("ForAnyValue:StringEqualsIfExists", "a", ABSENT, True),
    # A plain operator on several request values: any of them.
    ("StringEquals", "a", {KEY: ["b", "a"]}, True),
    ("StringNotEquals", "a", {KEY: ["b", "a"]}, False),
]


@pytest.mark.parametrize(("operator", "wanted", "keys", "expected"), ROWS)
def test_operator(operator: str, wanted: Any, keys: dict[str, Any], expected: bool) -> None:
    assert block_holds({operator: {KEY: wanted}}, context_of(keys)) is expected


def test_keys_and_operators_in_one_block_all_hold_and_key_names_ignore_case() -> None:
    block = {
        "Null": {KEY: "false"},
        "StringNotEquals": {"S3:X-AMZ-Server-Side-Encryption-AWS-KMS-Key-Id": "arn:k"},
    }
    assert block_holds(block, context_of({KEY: "aws:kms"}))  # key id absent: negated holds
    assert not block_holds(block, context_of({KEY: "aws:kms", f"{KEY}-aws-kms-key-id": "arn:k"}))
    assert not block_holds(block, context_of({}))  # Null false fails: the whole block fails


@pytest.mark.parametrize("operator", ["StringSortOf", "ForSomeValues:StringEquals", "ForAllValues:Null"])
def test_an_operator_aws_would_reject_is_an_error(operator: str) -> None:
    with pytest.raises(PolicyError, match="operator"):
        block_holds({operator: {KEY: "x"}}, context_of({}))
