"""checkov, an IaC scanner independent of cdk-nag, finds nothing unacknowledged in either template.

checkov runs once per session over both synthesized templates, offline (`--skip-download`: no platform
mappings or policies fetched). A finding is either fixed in the construct or acknowledged there with
`farflow.deploy.nag.acknowledge_checkov(construct, "CKV_AWS_...", reason)`, which writes checkov's own
skip metadata into the template; docs/deploy.md lists every acknowledgement (test_deploy_docs.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.deploy import Synthesized

# Acknowledged only when farflow.toml makes the choice they follow from (the defaults make each).
# Findings that follow a farflow.toml choice, and the one test configuration that makes it.
BY_CHOICE = {
    "CKV_AWS_2": ("default", "no certificate: plain HTTP"),
    "CKV_AWS_103": ("default", "no certificate: no TLS"),
    "CKV_AWS_157": ("default", "multi_az = false"),
    "CKV_AWS_260": ("variant", "allowed_cidrs open to all (HTTPS, port 80 redirects)"),
}
HOW_TO_HANDLE = (
    "fix each in its construct, or acknowledge it there with farflow.deploy.nag.acknowledge_checkov"
    "(construct, check, reason) and regenerate the checkov table in docs/deploy.md"
)


@dataclass(frozen=True)
class Result:
    """One checkov result: the check, the resource's logical id, the check's name."""

    check: str
    logical_id: str
    name: str


@dataclass(frozen=True)
class Scan:
    """checkov's failed and skipped results for one template."""

    synthesized: Synthesized
    failed: list[Result]
    skipped: list[Result]


def run_checkov(templates: list[Path]) -> list[dict[str, Any]]:
    """checkov's JSON report entries for `templates`, from one run."""
    checkov = Path(sys.executable).with_name("checkov")
    files = [argument for template in templates for argument in ("--file", str(template))]
    command = [str(checkov), *files, "--framework", "cloudformation", "--output", "json", "--compact"]
    # --soft-fail: findings are this test's to judge; a non-zero exit then means checkov itself failed.
    command += ["--skip-download", "--soft-fail"]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    report = json.loads(result.stdout)
    return report if isinstance(report, list) else [report]


def _results(report: list[dict[str, Any]], kind: str, template: Path) -> list[Result]:
    return [
        Result(found["check_id"], found["resource"].split(".", 1)[1], found["check_name"])
        for entry in report
        for found in entry["results"][kind]
        if Path(found["file_abs_path"]).resolve() == template.resolve()
    ]


@pytest.fixture(scope="session")
def scans(stack: Synthesized, variant: Synthesized) -> dict[str, Scan]:
    """Both templates scanned in one checkov run, by configuration name."""
    synths = {"default": stack, "variant": variant}
    report = run_checkov([synthesized.template_path for synthesized in synths.values()])
    for entry in report:
        assert entry["summary"]["parsing_errors"] == 0, entry["summary"]
    return {
        name: Scan(
            synthesized,
            _results(report, "failed_checks", synthesized.template_path),
            _results(report, "skipped_checks", synthesized.template_path),
        )
        for name, synthesized in synths.items()
    }


def describe(scan: Scan, result: Result) -> str:
    return f"{result.check} on {scan.synthesized.construct_path(result.logical_id)}: {result.name}"


@pytest.mark.parametrize("name", ["default", "variant"])
def test_checkov_finds_nothing_unacknowledged(scans: dict[str, Scan], name: str) -> None:
    scan = scans[name]
    found = sorted({describe(scan, result) for result in scan.failed})
    assert not found, f"checkov on the {name} template ({HOW_TO_HANDLE}):\n" + "\n".join(found)


@pytest.mark.parametrize("name", ["default", "variant"])
def test_every_acknowledgement_is_honoured_and_needed(scans: dict[str, Scan], name: str) -> None:
    """Each skip in the template is one checkov applied: a stale one (fixed, or a wrong id) fails."""
    scan = scans[name]
    written = {(logical_id, check) for logical_id, check, _ in scan.synthesized.checkov_skips()}
    honoured = {(result.logical_id, result.check) for result in scan.skipped}
    stale = sorted(f"{check} on {scan.synthesized.construct_path(at)}" for at, check in written - honoured)
    assert not stale, "acknowledged, but checkov found nothing there to skip:\n" + "\n".join(stale)
    assert written, "no acknowledgement found in the template"


@pytest.mark.parametrize("name", ["default", "variant"])
def test_every_acknowledgement_has_a_reason(scans: dict[str, Scan], name: str) -> None:
    short = [skip for skip in scans[name].synthesized.checkov_skips() if len(skip[2]) < 40]
    assert not short


def test_choices_acknowledged_only_when_made(scans: dict[str, Scan]) -> None:
    # Defaults: no certificate, one AZ, the UI for one address; the variant makes the other choices.
    for name, scan in scans.items():
        skipped = {check for _, check, _ in scan.synthesized.checkov_skips()}
        made_here = {check for check, (where, _) in BY_CHOICE.items() if where == name}
        assert made_here <= skipped, name
        assert not (set(BY_CHOICE) - made_here) & skipped, name


def test_acknowledge_checkov_writes_checkov_skip_metadata() -> None:
    from aws_cdk import App, Stack
    from aws_cdk import aws_sqs as sqs
    from aws_cdk.assertions import Template

    from farflow.deploy.nag import acknowledge_checkov

    stack = Stack(App(), "Skips")
    queue = sqs.Queue(stack, "Queue")
    acknowledge_checkov(queue, "CKV_AWS_27", "A test queue that never holds a message worth keeping.")
    acknowledge_checkov(queue, "CKV_AWS_999", "A second acknowledgement on the same resource is kept too.")
    with pytest.raises(ValueError, match="CKV_AWS_27 is already acknowledged on Skips/Queue"):
        acknowledge_checkov(queue, "CKV_AWS_27", "Twice on one resource is a mistake, whatever the reason.")
    [resource] = Template.from_stack(stack).find_resources("AWS::SQS::Queue").values()
    assert resource["Metadata"] == {
        "checkov": {
            "skip": [
                {"id": "CKV_AWS_27", "comment": "A test queue that never holds a message worth keeping."},
                {
                    "id": "CKV_AWS_999",
                    "comment": "A second acknowledgement on the same resource is kept too.",
                },
            ]
        }
    }
