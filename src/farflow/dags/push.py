"""`farflow dags push`: sync dags/ into the stack's DAG bundle, wait for the dag-processor, report.

The steps, each its own module: what the API shows before (parsing.Snapshot), the plan and the writes
(plan, bucket), a nudge so the dag-processor refreshes the bundle now rather than at its next interval
(Airflow's reparse request for a file of the bundle forces a refresh of that bundle), the wait
(parsing.pending), then the bundle's import errors, one short block each, and what still needs
`farflow deploy` (fingerprints).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from farflow.airflow_api import AirflowApi, ApiError
from farflow.dags import fingerprints, parsing
from farflow.dags.bucket import BundleBucket
from farflow.dags.plan import SyncPlan
from farflow.dags.sync import sync
from farflow.spec import dag_bundle

POLL_SECONDS = 1.0
PAGE = 100


class PushError(RuntimeError):
    """The push cannot go on; the message names what is missing and the fix."""


@dataclass(frozen=True)
class Target:
    """Where a push goes: the bundle's bucket, the api-server that shows what was parsed, and what the
    deployed images were built from (None where no image is built: the local stack)."""

    bucket: BundleBucket
    api: AirflowApi
    where: str
    deployed_inputs: Mapping[str, str] | None = None
    bundle: str = dag_bundle.BUNDLE_NAME


@dataclass
class Outcome:
    plan: SyncPlan
    waited_seconds: float = 0.0
    unparsed: list[str] = field(default_factory=list)
    errors: list[parsing.ParseError] = field(default_factory=list)
    needs_deploy: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.unparsed or self.errors)


def _pages(api: AirflowApi, path: str, key: str, **query: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        answer = api.request("GET", path, limit=PAGE, offset=len(found), **query)
        page = list(answer.get(key, []))
        found += page
        if len(page) < PAGE or len(found) >= int(answer.get("total_entries", 0)):
            return found


def observe(api: AirflowApi, bundle: str) -> parsing.Snapshot:
    """The bundle's active DAGs and its import errors, as the REST API shows them now."""
    dags = _pages(api, "/api/v2/dags", "dags", bundle_name=bundle)
    errors = _pages(api, "/api/v2/importErrors", "import_errors")
    return parsing.snapshot(dags, errors, bundle)


def nudge(api: AirflowApi, before: parsing.Snapshot) -> bool:
    """Ask Airflow to parse one file of the bundle now, which makes the dag-processor refresh the whole
    bundle at its next loop; False if the bundle has no DAG yet (the refresh interval then applies)."""
    token = next((dag.file_token for dag in before.dags if dag.file_token), "")
    if not token:
        return False
    try:
        api.request("PUT", f"/api/v2/parseDagFile/{token}")
    except (ApiError, OSError):
        return False
    return True


def _observe_or(last: parsing.Snapshot, target: Target) -> parsing.Snapshot:
    """What the API shows now; `last` while a busy or restarting api-server does not answer."""
    try:
        return observe(target.api, target.bundle)
    except (ApiError, OSError, ValueError):
        return last


def _describe(plan: SyncPlan) -> list[str]:
    return [
        *(f"  + {file.key}" for file in plan.new),
        *(f"  ~ {file.key}" for file in plan.changed),
        *(f"  - {key}" for key in plan.deleted),
    ]


def push(
    target: Target,
    project: Path,
    report: Callable[[str], None],
    timeout: float = 120.0,
) -> Outcome:
    """Push `project`'s dags/ to `target`, wait until the dag-processor has parsed it (or `timeout`)."""
    folder = project / "dags"
    if not folder.is_dir():
        raise PushError(f"{folder} does not exist: put the DAG files of the project there, then push.")
    try:
        before = observe(target.api, target.bundle)
    except (ApiError, OSError, ValueError) as error:
        raise PushError(
            f"The Airflow API of {target.where} did not answer ({error}); nothing was pushed."
        ) from None
    try:
        planned, pushed_at = sync(target.bucket, folder)
    except (BotoCoreError, ClientError) as error:
        raise PushError(f"Writing {target.where} failed: {error}") from None
    outcome = Outcome(planned)
    report(f"Pushed dags/ to {target.where}: {planned.summary()}.")
    for line in _describe(planned):
        report(line)
    wanted = parsing.expected(planned, before)
    started = time.monotonic()
    if wanted.pushed or wanted.deleted:
        nudge(target.api, before)
        deadline = started + timeout
        now = before
        while True:
            now = _observe_or(now, target)
            outcome.unparsed = parsing.pending(wanted, before, now, pushed_at)
            if not outcome.unparsed or time.monotonic() >= deadline:
                break
            time.sleep(POLL_SECONDS)
        outcome.waited_seconds = time.monotonic() - started
        if outcome.unparsed:
            report(
                f"Not parsed after {timeout:.0f}s: {', '.join(outcome.unparsed)}. Is the dag-processor "
                "running? Its log says why."
            )
        else:
            report(f"The dag-processor has parsed the new version ({outcome.waited_seconds:.1f}s).")
    else:
        now = _observe_or(before, target)
    outcome.errors = sorted(now.errors, key=lambda error: error.fileloc)
    if outcome.errors:
        report(f"{len(outcome.errors)} DAG file(s) failed to import:")
        for line in parsing.error_report(outcome.errors):
            report(line)
    if target.deployed_inputs is not None:
        outcome.needs_deploy = fingerprints.changed(
            fingerprints.image_inputs(project), target.deployed_inputs
        )
        if outcome.needs_deploy:
            report(
                f"Changed since the last deploy: {', '.join(outcome.needs_deploy)}. A push does not "
                "rebuild images: run `farflow deploy` for those."
            )
    return outcome
