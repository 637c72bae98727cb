"""cdk-nag runs in every synth and fails it on a finding nobody acknowledged; cfn-lint finds no error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.deploy import Synthesized

# Every rule this app acknowledges somewhere, each with its reason in code next to the construct.
ACKNOWLEDGED_RULES = {
    "AwsSolutions-ECS2",
    "AwsSolutions-EC23",
    "AwsSolutions-IAM4",
    "AwsSolutions-IAM5",
    "AwsSolutions-RDS3",
    "AwsSolutions-RDS10",
    "AwsSolutions-RDS11",
    "AwsSolutions-S1",
    "AwsSolutions-SF2",
    "AwsSolutions-SMG4",
    "AwsSolutions-SNS2",
    "AwsSolutions-SQS3",
}
# Acknowledged only when farflow.toml makes the choice they follow from.
BY_CHOICE = {
    "AwsSolutions-RDS3",
    "AwsSolutions-RDS10",
    "AwsSolutions-RDS11",
    "AwsSolutions-EC23",
    "AwsSolutions-IAM4",  # a managed policy farflow.toml's [permissions] names
}
# CDK adds DependsOn on a function's role that the function's GetAtt on the role already implies.
CFN_LINT_IGNORED = "W3005"


def acknowledgements(synthesized: Synthesized) -> dict[str, str]:
    """`rule[finding]` -> reason: what cdk-nag honoured."""
    return {rule: reason for _, rule, reason in synthesized.acknowledgements()}


def _rule(acknowledged: str) -> str:
    return acknowledged.split("[", 1)[0]


def test_every_acknowledgement_has_a_reason_and_a_known_rule(
    stack: Synthesized, variant: Synthesized
) -> None:
    acknowledged = acknowledgements(stack) | acknowledgements(variant)
    assert {_rule(rule) for rule in acknowledged} == ACKNOWLEDGED_RULES
    assert all(len(reason) > 30 for reason in acknowledged.values())


def test_wildcard_acknowledgements_name_each_finding(stack: Synthesized) -> None:
    wildcards = [rule for rule in acknowledgements(stack) if rule.startswith("AwsSolutions-IAM5")]
    assert wildcards
    assert all(rule.startswith("AwsSolutions-IAM5[Resource::") for rule in wildcards)


def test_choices_acknowledged_only_when_made(stack: Synthesized, variant: Synthesized) -> None:
    default_rules = {_rule(rule) for rule in acknowledgements(stack)}
    variant_rules = {_rule(rule) for rule in acknowledgements(variant)}
    # Defaults: one AZ, the default port, HTTP from one address (deletion protection on).
    assert default_rules & BY_CHOICE == {"AwsSolutions-RDS3", "AwsSolutions-RDS11"}
    # Variant: Multi-AZ, port 6543, the UI open to all behind HTTPS, deletion protection off, AWS managed
    # policies in [permissions].
    assert variant_rules & BY_CHOICE == {"AwsSolutions-RDS10", "AwsSolutions-EC23", "AwsSolutions-IAM4"}


def test_a_finding_nobody_acknowledged_fails_synth_and_is_listed(tmp_path: Path) -> None:
    from aws_cdk import Stack
    from aws_cdk import aws_sqs as sqs

    from farflow.deploy.nag import acknowledge, checked_app

    app = checked_app(tmp_path / "bad")
    stack = Stack(app, "Bad")
    sqs.Queue(stack, "PlainQueue", encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True)
    with pytest.raises(RuntimeError) as raised:
        app.synth()
    message = str(raised.value)
    assert "AwsSolutions-SQS3" in message
    assert "Bad/PlainQueue" in message

    fixed = checked_app(tmp_path / "fixed")
    queue = sqs.Queue(
        Stack(fixed, "Fixed"), "PlainQueue", encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True
    )
    acknowledge(queue, "SQS3", "A test queue that never holds a message worth keeping.")
    fixed.synth()


def test_cfn_lint_finds_no_error(stack: Synthesized, variant: Synthesized) -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    templates = [str(stack.template_path), str(variant.template_path)]
    result = subprocess.run(
        [str(cfn_lint), "--ignore-checks", CFN_LINT_IGNORED, "--", *templates],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
