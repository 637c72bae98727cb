"""The local endpoint's IAM switch (`--iam`, FARFLOW_LOCAL_IAM): light, so the CLI can import it."""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping

IAM_VARIABLE = "FARFLOW_LOCAL_IAM"


class IamMode(enum.Enum):
    """enforce: a call the deploy's policies deny fails as on AWS; warn: it is logged and goes through;
    off: nothing is evaluated."""

    ENFORCE = "enforce"
    WARN = "warn"
    OFF = "off"


DEFAULT_MODE = IamMode.ENFORCE


class IamModeError(ValueError):
    """FARFLOW_LOCAL_IAM names no mode; the message names the variable and the choices."""


def iam_mode(environ: Mapping[str, str] | None = None) -> IamMode:
    """The mode FARFLOW_LOCAL_IAM names (the default when unset)."""
    value = (os.environ if environ is None else environ).get(IAM_VARIABLE, "").strip().lower()
    if not value:
        return DEFAULT_MODE
    try:
        return IamMode(value)
    except ValueError:
        choices = ", ".join(mode.value for mode in IamMode)
        raise IamModeError(f"{IAM_VARIABLE}={value!r} is not an IAM mode; use one of {choices}.") from None
