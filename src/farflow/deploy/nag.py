"""cdk-nag's AWS Solutions checks on every synth, and the one way this app acknowledges a finding.

cdk-nag 3 plugs into CDK's policy validation (`Validations.of(app).add_plugins`): a finding that is not
acknowledged fails synth with the findings listed. Each acknowledgement names one rule (and, for rules
that report several findings per resource, one finding) on one construct, with its reason in code.

checkov, the independent scanner tests/unit/deploy/test_checkov.py runs on the synthesized templates,
reads its acknowledgements from the template itself: `acknowledge_checkov` writes checkov's own skip
metadata (`Metadata: {"checkov": {"skip": [{"id": ..., "comment": ...}]}}`, read by checkov's
CloudFormation context parser) onto one resource, with its reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Acknowledgment, App, CfnResource, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

PACK = "AwsSolutions"
# The template metadata key checkov reads its skips from.
CHECKOV = "checkov"


def checked_app(outdir: Path) -> App:
    """An App whose synth runs the AWS Solutions checks and fails on any finding not acknowledged."""
    app = App(outdir=str(outdir))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return app


def acknowledge(construct: IConstruct, rule: str, reason: str, *findings: str) -> None:
    """Accept `AwsSolutions-<rule>` on `construct` (only the given findings, when the rule has several)."""
    ids = [f"{PACK}-{rule}[{finding}]" for finding in findings] if findings else [f"{PACK}-{rule}"]
    Validations.of(construct).acknowledge(*(Acknowledgment(id=rule_id, reason=reason) for rule_id in ids))


def acknowledge_checkov(construct: IConstruct, check: str, reason: str) -> None:
    """Accept checkov's `check` (`CKV_AWS_...`) on `construct`'s CloudFormation resource, with `reason`."""
    resource = cfn_resource(construct)
    metadata = resource.get_metadata(CHECKOV) or {"skip": []}
    if any(skip["id"] == check for skip in metadata["skip"]):
        raise ValueError(f"{check} is already acknowledged on {resource.node.path}")
    metadata["skip"].append({"id": check, "comment": reason})
    resource.add_metadata(CHECKOV, metadata)


def cfn_resource(construct: IConstruct) -> CfnResource:
    """The CloudFormation resource a construct stands for: itself, or its default child."""
    if isinstance(construct, CfnResource):
        return construct
    child = construct.node.default_child
    if not isinstance(child, CfnResource):
        raise TypeError(f"{construct.node.path} stands for no single CloudFormation resource")
    return child


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
