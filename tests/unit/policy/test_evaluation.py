"""Statements decided as AWS decides them: explicit deny wins, Allow, implicit deny; Action/NotAction,
Resource/NotResource wildcards, Principal/NotPrincipal."""

from __future__ import annotations

from typing import Any

import pytest

from farflow.policy import (
    Decision,
    PolicyError,
    Request,
    Statement,
    authorize,
    evaluate,
    parse_policy,
    parse_statement,
)
from farflow.policy.evaluation import resource_matches

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/scheduler"
OTHER = "arn:aws:iam::210987654321:role/scheduler"
OBJECT = "arn:aws:s3:::bucket/workloads/a.json"
PUT = Request("s3:PutObject", OBJECT, ROLE)


def statement(**elements: Any) -> dict[str, Any]:
    """An Allow of s3:PutObject on the bucket's objects, with `elements` changed (None: left out)."""
    base = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::bucket/*", **elements}
    return {name: value for name, value in base.items() if value is not None}


def decide(*statements: dict[str, Any], request: Request = PUT) -> Decision:
    return evaluate([parse_policy(list(statements))], request).decision


def test_nothing_matching_is_an_implicit_deny() -> None:
    assert decide() is Decision.IMPLICIT_DENY
    assert decide(statement(Action="s3:GetObject")) is Decision.IMPLICIT_DENY


def test_an_explicit_deny_wins_over_any_allow_in_any_policy() -> None:
    allow = parse_policy([statement()])
    deny = parse_policy([statement(Effect="Deny", Sid="No")])
    assert evaluate([allow], PUT).decision is Decision.ALLOW
    evaluation = evaluate([allow, deny], PUT)
    assert evaluation.decision is Decision.EXPLICIT_DENY and evaluation.statements == ("No",)


def test_a_deny_whose_condition_fails_does_not_apply() -> None:
    deny = statement(Effect="Deny", Condition={"Bool": {"aws:SecureTransport": "false"}})
    secure = Request("s3:PutObject", OBJECT, ROLE, {"aws:SecureTransport": True})
    assert decide(statement(), deny, request=secure) is Decision.ALLOW
    plain = Request("s3:PutObject", OBJECT, ROLE, {"aws:SecureTransport": False})
    assert decide(statement(), deny, request=plain) is Decision.EXPLICIT_DENY


@pytest.mark.parametrize(
    ("pattern", "action", "matches"),
    [
        ("s3:PutObject", "s3:putobject", True),  # actions ignore case
        ("s3:Put*", "s3:PutObject", True),
        ("s3:*Object", "s3:GetObject", True),
        ("s3:Get?bject", "s3:GetObject", True),
        ("s3:*", "kms:Decrypt", False),
        ("*", "kms:Decrypt", True),
    ],
)
def test_actions(pattern: str, action: str, matches: bool) -> None:
    request = Request(action, OBJECT, ROLE)
    assert (decide(statement(Action=pattern, Resource="*"), request=request) is Decision.ALLOW) is matches


def test_not_action_matches_every_other_action() -> None:
    assert decide(statement(Action=None, NotAction="s3:GetObject")) is Decision.ALLOW
    assert decide(statement(Action=None, NotAction=["s3:Get*", "s3:Put*"])) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("pattern", "resource", "matches"),
    [
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c.json", True),  # a final * spans / and :
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", False),
        ("arn:aws:s3:::bucket", "arn:aws:s3:::bucket/a", False),
        ("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/a", False),  # resources are case-sensitive
        ("arn:aws:ecs:*:*:task/farflow/*", "arn:aws:ecs:eu-west-1:1:task/farflow/abc", True),
        ("arn:aws:ecs:eu-*-1:1:task/*", "arn:aws:ecs:eu-west-1:1:task/x", True),
        ("arn:aws:ecs:e*1:1:task/x", "arn:aws:ecs:eu:west-1:1:task/x", False),  # a mid-segment * stays
        ("arn:aws:logs:r:1:log-group:g:*", "arn:aws:logs:r:1:log-group:g:log-stream:s", True),
        ("arn:aws:s3:::bucke?/a", "arn:aws:s3:::bucket/a", True),
        ("*", "arn:aws:kms:eu-west-1:1:key/k", True),
    ],
)
def test_resource_wildcards(pattern: str, resource: str, matches: bool) -> None:
    assert resource_matches(pattern, resource) is matches


def test_not_resource_matches_every_other_resource() -> None:
    assert decide(statement(Resource=None, NotResource="arn:aws:s3:::other/*")) is Decision.ALLOW
    assert decide(statement(Resource=None, NotResource="arn:aws:s3:::bucket/*")) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("principal", "caller", "matches"),
    [
        ("*", ROLE, True),
        ("*", None, True),  # anonymous
        ({"AWS": "*"}, ROLE, True),
        ({"AWS": ROLE}, ROLE, True),
        ({"AWS": ROLE}, OTHER, False),
        ({"AWS": [OTHER, ROLE]}, ROLE, True),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, ROLE, True),  # the account: all its principals
        ({"AWS": ACCOUNT}, ROLE, True),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, OTHER, False),
        ({"AWS": ROLE}, None, False),
        ({"Service": "lambda.amazonaws.com"}, "lambda.amazonaws.com", True),
        ({"Service": "lambda.amazonaws.com"}, ROLE, False),
    ],
)
def test_principals(principal: Any, caller: str | None, matches: bool) -> None:
    request = Request("s3:PutObject", OBJECT, caller)
    assert (decide(statement(Principal=principal), request=request) is Decision.ALLOW) is matches


def test_not_principal_applies_to_everyone_else() -> None:
    deny = statement(Effect="Deny", NotPrincipal={"AWS": ROLE})
    assert decide(statement(), deny) is Decision.ALLOW
    other = Request("s3:PutObject", OBJECT, OTHER)
    assert decide(statement(), deny, request=other) is Decision.EXPLICIT_DENY


def test_a_statement_without_principal_is_an_identity_policys_and_applies_to_its_holder() -> None:
    assert decide(statement()) is Decision.ALLOW


@pytest.mark.parametrize(
    "raw",
    [
        {"Effect": "Permit", "Action": "s3:*"},
        {"Effect": "Allow"},
        {"Effect": "Allow", "Action": "s3:*", "NotAction": "s3:Get*"},
        {"Effect": "Allow", "Action": [1]},
        {"Effect": "Allow", "Action": "s3:*", "Principal": ["x"]},
    ],
)
def test_a_malformed_statement_is_an_error(raw: dict[str, Any]) -> None:
    with pytest.raises(PolicyError):
        parse_statement(raw)


def test_a_document_and_a_single_statement_both_parse() -> None:
    assert len(parse_policy({"Version": "2012-10-17", "Statement": statement()})) == 1
    assert [s.sid for s in parse_policy({"Statement": [statement(), statement(Sid="B")]})] == ["#0", "B"]


KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/k"
DATA_KEY = Request("kms:GenerateDataKey", KEY, ROLE)
IAM_ALLOWS = parse_policy([{"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": KEY}])


def key_policy(principal: Any) -> tuple[Statement, ...]:
    return parse_policy([{"Effect": "Allow", "Principal": principal, "Action": "kms:*", "Resource": "*"}])


def test_same_account_allows_are_a_union_of_identity_and_resource_policies() -> None:
    bucket = parse_policy([statement(Principal={"AWS": ROLE})])
    assert authorize(PUT, [], bucket).allowed
    assert authorize(PUT, [parse_policy([statement()])], ()).allowed
    denying = parse_policy([statement(Effect="Deny", Principal="*")])
    assert authorize(PUT, [parse_policy([statement()])], denying).decision is Decision.EXPLICIT_DENY


def test_a_key_policy_must_allow_by_itself_or_hand_the_account_to_iam() -> None:
    # Naming the role: enough without IAM.
    assert authorize(DATA_KEY, [], key_policy({"AWS": ROLE}), resource_must_allow=True).allowed
    # IAM alone: not enough for a key, though it would be for a bucket.
    nothing = parse_policy(
        [{"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "kms:*", "Resource": "*"}]
    )
    assert (
        authorize(DATA_KEY, [IAM_ALLOWS], nothing, resource_must_allow=True).decision
        is Decision.IMPLICIT_DENY
    )
    assert authorize(DATA_KEY, [IAM_ALLOWS], nothing).allowed
    # Naming the account: IAM decides.
    root = key_policy({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    assert authorize(DATA_KEY, [], root, resource_must_allow=True).decision is Decision.IMPLICIT_DENY
    assert authorize(DATA_KEY, [IAM_ALLOWS], root, resource_must_allow=True).allowed
