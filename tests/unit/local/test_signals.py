"""SIGINT and SIGTERM: raised as Interrupted, or ignored while shutting down; the old handlers return."""

from __future__ import annotations

import os
import signal

import pytest

from farflow.local.signals import Interrupted, interruptible, shielded


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interruptible_raises_then_restores(signum: signal.Signals) -> None:
    before = signal.getsignal(signum)
    with pytest.raises(Interrupted) as caught, interruptible():
        os.kill(os.getpid(), signum)
    assert caught.value.signum == signum
    assert signal.getsignal(signum) is before


def test_shielded_ignores_then_restores() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with interruptible(), shielded():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is before
