"""Runs farflow.worker's entry with the stand-in worker in place of `airflow edge worker`."""

from __future__ import annotations

import sys
from pathlib import Path

from farflow.worker.drain import main

STANDIN = Path(__file__).with_name("edge_standin.py")

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], command=(sys.executable, str(STANDIN))))
