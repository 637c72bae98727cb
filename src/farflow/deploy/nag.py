"""cdk-nag's AWS Solutions checks on every synth, and the one way this app acknowledges a finding.

cdk-nag 3 plugs into CDK's policy validation (`Validations.of(app).add_plugins`): a finding that is not
acknowledged fails synth with the findings listed. Each acknowledgement names one rule (and, for rules
that report several findings per resource, one finding) on one construct, with its reason in code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Acknowledgment, App, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

PACK = "AwsSolutions"


def checked_app(outdir: Path) -> App:
    """An App whose synth runs the AWS Solutions checks and fails on any finding not acknowledged."""
    app = App(outdir=str(outdir))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return app


def acknowledge(construct: IConstruct, rule: str, reason: str, *findings: str) -> None:
    """Accept `AwsSolutions-<rule>` on `construct` (only the given findings, when the rule has several)."""
    ids = [f"{PACK}-{rule}[{finding}]" for finding in findings] if findings else [f"{PACK}-{rule}"]
    Validations.of(construct).acknowledge(*(Acknowledgment(id=rule_id, reason=reason) for rule_id in ids))


def finding_text(scope: IConstruct, value: str) -> str:
    """A value as cdk-nag prints it in a finding id: tokens resolved, `<Ref>` and `<Resource.Attr>`."""
    return _flatten(Stack.of(scope).resolve(value))


def _flatten(resolved: Any) -> str:
    if isinstance(resolved, str):
        return resolved
    if isinstance(resolved, dict) and len(resolved) == 1:
        ((function, argument),) = resolved.items()
        if function == "Ref":
            return f"<{argument}>"
        if function == "Fn::GetAtt":
            return f"<{argument[0]}.{argument[1]}>"
        if function == "Fn::Join":
            separator, parts = argument
            return str(separator).join(_flatten(part) for part in parts)
    raise ValueError(f"Cannot render {resolved!r} the way cdk-nag names findings")
