"""The worker tests' stand-in for the ECS agent (tests/support/ecs_agent.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.ecs_agent import Agent, loopback_agent


@pytest.fixture
def agent() -> Iterator[Agent]:
    with loopback_agent() as found:
        yield found
