"""The stack writes no CloudWatch Logs resource policy: the local endpoint decides Logs calls on the
caller's identity policies alone (docs/local.md, "Not modelled"), which is the whole decision AWS makes
for them as long as this holds."""

from __future__ import annotations

from tests.support.deploy import Synthesized


def test_no_log_group_or_account_resource_policy(stack: Synthesized, variant: Synthesized) -> None:
    for synthesized in (stack, variant):
        assert synthesized.of_type("AWS::Logs::ResourcePolicy") == {}
        groups = synthesized.of_type("AWS::Logs::LogGroup")
        assert groups and not [
            key for key, group in groups.items() if "ResourcePolicyDocument" in group["Properties"]
        ]
