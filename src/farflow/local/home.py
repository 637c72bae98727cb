"""farflow's own folder on this machine (the demo project, the metadata database templates)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def farflow_home(environ: Mapping[str, str] = os.environ) -> Path:
    """farflow's own state folder: $FARFLOW_HOME, else ~/.farflow."""
    return Path(environ.get("FARFLOW_HOME") or "~/.farflow").expanduser()
