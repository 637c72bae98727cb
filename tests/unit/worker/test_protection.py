"""When a worker holds ECS task scale-in protection, and the call that sets it."""

from __future__ import annotations

import pytest

from farflow.worker.protection import (
    ENDPOINT_PATH,
    EXPIRES_MINUTES,
    MAX_BUSY_MINUTES,
    RENEW_BELOW_MINUTES,
    ProtectionRequest,
    ProtectionState,
    TaskProtection,
    agent_endpoint,
    decide,
    put,
)
from tests.support.ecs_agent import Agent

MINUTE = 60.0


def test_an_idle_worker_asks_for_nothing() -> None:
    assert decide(ProtectionState(), 0, 100.0) == (ProtectionState(), None)


def test_a_busy_worker_is_protected_for_a_short_while() -> None:
    state, request = decide(ProtectionState(), 2, 100.0)
    assert request == ProtectionRequest(enabled=True, expires_minutes=EXPIRES_MINUTES)
    assert state == ProtectionState(busy_since=100.0, protected_until=100.0 + EXPIRES_MINUTES * MINUTE)


def test_protection_is_renewed_only_when_little_of_it_is_left() -> None:
    state, _ = decide(ProtectionState(), 1, 0.0)
    early = (EXPIRES_MINUTES - RENEW_BELOW_MINUTES) * MINUTE - 1
    assert decide(state, 1, early) == (state, None)
    renewed, request = decide(state, 1, early + 2)
    assert request == ProtectionRequest(True, EXPIRES_MINUTES)
    assert renewed.busy_since == 0.0


def test_protection_is_lifted_when_the_jobs_are_done() -> None:
    state, _ = decide(ProtectionState(), 1, 0.0)
    assert decide(state, 0, 30.0) == (ProtectionState(), ProtectionRequest(enabled=False))


def test_an_unanswered_status_changes_nothing() -> None:
    state, _ = decide(ProtectionState(), 1, 0.0)
    assert decide(state, None, 30.0) == (state, None)


def test_one_busy_stretch_holds_protection_at_most_max_busy_minutes() -> None:
    """A worker that never goes idle must not hold a deploy (CloudFormation waits 3 hours) forever."""
    state = ProtectionState()
    last_until = 0.0
    for now in range(0, int(4 * 60 * MINUTE), 5):
        state, request = decide(state, 3, float(now))
        if request is not None:
            assert request.enabled
            assert request.expires_minutes is not None and 1 <= request.expires_minutes <= 2880
            last_until = now + request.expires_minutes * MINUTE
    assert MAX_BUSY_MINUTES * MINUTE <= last_until <= (MAX_BUSY_MINUTES + 1) * MINUTE
    assert not state.protected(4 * 60 * MINUTE)


def test_a_new_busy_stretch_after_idling_is_protected_again() -> None:
    state, _ = decide(ProtectionState(), 1, 0.0)
    state, _ = decide(state, 0, 10.0)
    state, request = decide(state, 1, 20.0)
    assert request == ProtectionRequest(True, EXPIRES_MINUTES)
    assert state.busy_since == 20.0


@pytest.mark.parametrize("uri", ["", "169.254.170.2/api/x", "file:///etc/passwd"])
def test_no_agent_no_protection(uri: str) -> None:
    assert agent_endpoint({"ECS_AGENT_URI": uri} if uri else {}) is None
    assert TaskProtection.from_environ({"ECS_AGENT_URI": uri} if uri else {}) is None


def test_the_endpoint_is_the_agents_protection_path() -> None:
    assert agent_endpoint({"ECS_AGENT_URI": "http://169.254.170.2/api/abc/"}) == (
        f"http://169.254.170.2/api/abc{ENDPOINT_PATH}"
    )


def test_put_sends_the_documented_body(agent: Agent) -> None:
    endpoint = agent_endpoint({"ECS_AGENT_URI": agent.uri})
    assert endpoint is not None
    assert put(endpoint, ProtectionRequest(True, 15)) is None
    assert put(endpoint, ProtectionRequest(False)) is None
    assert agent.requests == [
        ("/api/task-id/task-protection/v1/state", {"ProtectionEnabled": True, "ExpiresInMinutes": 15}),
        ("/api/task-id/task-protection/v1/state", {"ProtectionEnabled": False}),
    ]


def test_a_refused_request_is_reported_and_tried_again(agent: Agent) -> None:
    protection = TaskProtection.from_environ({"ECS_AGENT_URI": agent.uri})
    assert protection is not None
    agent.refuse = True
    protection.update(1, 0.0)
    assert not protection.state.protected(1.0)
    assert protection.state.busy_since == 0.0
    agent.refuse = False
    protection.update(1, 5.0)
    assert protection.state.protected(6.0)
    assert [body["ProtectionEnabled"] for _, body in agent.requests] == [True, True]


def test_an_unreachable_agent_does_not_stop_the_worker() -> None:
    problem = put("http://127.0.0.1:9/task-protection/v1/state", ProtectionRequest(True, 1))
    assert problem
