"""ECS task scale-in protection for a busy Edge worker: when to hold it (a pure decision) and the one
call that sets it.

What AWS documents, and this module relies on:
- "Amazon ECS task scale-in protection endpoint"
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-scale-in-protection-endpoint.html):
  the ECS agent puts `ECS_AGENT_URI` into every container; a PUT of `{"ProtectionEnabled": true,
  "ExpiresInMinutes": N}` (1 to 2880; 120 when left out) to `$ECS_AGENT_URI/task-protection/v1/state`
  keeps the task from being ended by service auto scaling's scale-in *and by deployments* for N minutes;
  `{"ProtectionEnabled": false}` lifts it. Repeating the PUT resets the expiry.
- "Protect your Amazon ECS tasks from being terminated by scale-in events"
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-scale-in-protection.html): the task
  role needs `ecs:UpdateTaskProtection` (and `ecs:GetTaskProtection` for a GET); a rolling deployment
  leaves a protected task running until protection is lifted or expires, and CloudFormation gives an
  update 3 hours before it fails and rolls back.

So a busy worker holds short protection, renewed while it stays busy, and one busy stretch never holds it
longer than `MAX_BUSY_MINUTES`: a deploy or scale-in waits at most that long for a busy worker; then ECS
stops it, and it drains (farflow.worker.drain) within the container's stop timeout.
"""

from __future__ import annotations

import json
import logging
import math
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

log = logging.getLogger(__name__)

AGENT_VARIABLE = "ECS_AGENT_URI"
ENDPOINT_PATH = "/task-protection/v1/state"
# Each PUT protects for this long; renewed when less than RENEW_BELOW_MINUTES is left.
EXPIRES_MINUTES = 15
RENEW_BELOW_MINUTES = 10
# Under CloudFormation's 3-hour limit for a deploy that waits on protected tasks, with room to drain.
MAX_BUSY_MINUTES = 120
REQUEST_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class ProtectionState:
    """What this worker holds, in `time.monotonic()` seconds: when its current busy stretch began (None
    when idle) and until when the protection it last set runs (None when it holds none)."""

    busy_since: float | None = None
    protected_until: float | None = None

    def protected(self, now: float) -> bool:
        return self.protected_until is not None and now < self.protected_until


@dataclass(frozen=True)
class ProtectionRequest:
    """One PUT to the agent endpoint."""

    enabled: bool
    expires_minutes: int | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ProtectionEnabled": self.enabled}
        if self.expires_minutes is not None:
            body["ExpiresInMinutes"] = self.expires_minutes
        return body


def decide(
    state: ProtectionState, jobs: int | None, now: float
) -> tuple[ProtectionState, ProtectionRequest | None]:
    """The state once the returned request (if any) is done: protect while the worker runs jobs, lift it
    when it runs none; `jobs` None (the worker did not answer) changes nothing."""
    if jobs is None:
        return state, None
    if jobs <= 0:
        idle = ProtectionState()
        return idle, (ProtectionRequest(enabled=False) if state.protected(now) else None)
    busy_since = now if state.busy_since is None else state.busy_since
    busy = replace(state, busy_since=busy_since)
    budget_end = busy_since + MAX_BUSY_MINUTES * 60
    left = (state.protected_until or now) - now
    if now >= budget_end or left > RENEW_BELOW_MINUTES * 60:
        return busy, None
    minutes = max(1, math.ceil((min(now + EXPIRES_MINUTES * 60, budget_end) - now) / 60))
    return ProtectionState(busy_since, now + minutes * 60), ProtectionRequest(True, minutes)


def agent_endpoint(environ: Mapping[str, str]) -> str | None:
    """The protection endpoint of the ECS agent, or None outside ECS (locally: protection is a no-op)."""
    uri = environ.get(AGENT_VARIABLE, "").rstrip("/")
    if not uri.startswith(("http://", "https://")):
        return None
    return f"{uri}{ENDPOINT_PATH}"


def put(endpoint: str, request: ProtectionRequest) -> str | None:
    """Send one request; None when the agent applied it, else why not (never raises: a worker keeps
    running its jobs whether or not protection could be set)."""
    data = json.dumps(request.body()).encode()
    # The URL is the ECS agent's own (ECS_AGENT_URI, checked to be http(s) by agent_endpoint).
    http = urllib.request.Request(  # noqa: S310
        endpoint, data=data, method="PUT", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(http, timeout=REQUEST_TIMEOUT_SECONDS) as response:  # noqa: S310
            answer = response.read()
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}: {error.read().decode(errors='replace')[:500]}"
    except OSError as error:
        return str(error)
    try:
        parsed = json.loads(answer or b"{}")
    except ValueError:
        return f"unreadable answer {answer[:200]!r}"
    if isinstance(parsed, dict) and ("error" in parsed or "failure" in parsed):
        return json.dumps(parsed)[:500]
    return None


class TaskProtection:
    """Holds protection for this task while the worker is busy, through the ECS agent endpoint."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.state = ProtectionState()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> TaskProtection | None:
        endpoint = agent_endpoint(environ)
        return cls(endpoint) if endpoint else None

    def update(self, jobs: int | None, now: float) -> None:
        """Apply the decision for `jobs`; a refused request is tried again at the next update."""
        wanted, request = decide(self.state, jobs, now)
        if request is None:
            self.state = wanted
            return
        problem = put(self.endpoint, request)
        if problem is None:
            log.info("Task scale-in protection %s", "set" if request.enabled else "lifted")
            self.state = wanted
        else:
            log.warning("Task scale-in protection not updated (%s)", problem)
            self.state = replace(self.state, busy_since=wanted.busy_since)
