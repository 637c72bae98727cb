"""A long-running component that exists only in tests, added to `farflow.spec.components.TABLE`.

It proves that a row of the table is all both platforms need to run one more component: the deploy's
service, task definition, role and farflow.toml table, and the local stack's process, command line and
health come from the row, with no platform code naming it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from farflow.spec import TABLE, Component, Running
from farflow.spec.components import AIRFLOW_BASE

EXTRA = Component(
    name="watchdog",
    command=("watchdog",),
    settings=AIRFLOW_BASE,
    secrets=frozenset(),
    runs_user_code=False,
    health_command=("jobs", "check", "--job-type", "WatchdogJob", "--local"),
)
EXTRA_RUNNING = Running(
    table="watchdog",
    help="A watchdog that exists only in tests.",
    cpu=256,
    memory=512,
    count_help="Watchdogs.",
    health_key="watchdog",
    serves_logs=True,
    ends_its_children_itself=True,
)


@pytest.fixture
def extra_component(monkeypatch: pytest.MonkeyPatch) -> Iterator[Component]:
    """EXTRA in the table for the test's duration (removed after, whatever the test did)."""
    monkeypatch.setitem(TABLE, EXTRA, EXTRA_RUNNING)
    yield EXTRA
