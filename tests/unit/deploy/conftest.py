"""Fixtures of the deploy tests: the stack synthesized once per session per configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.deploy import DEFAULT, VARIANT, Synthesized, synthesized


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesized(tmp_path_factory, "default", DEFAULT)


@pytest.fixture(scope="session")
def variant(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesized(tmp_path_factory, "variant", VARIANT)


@pytest.fixture(scope="session")
def project(stack: Synthesized, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `farflow init` project the stacks were synthesized from."""
    return tmp_path_factory.getbasetemp() / "deploy-project"
