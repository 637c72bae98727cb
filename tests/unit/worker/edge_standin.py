"""A stand-in for `airflow edge worker` that answers signals as edge3's worker does, and says what it got.

edge3 (cli/worker.py): SIGINT drains (running jobs finish, then the worker exits 0), SIGTERM terminates
the running jobs, SIGUSR2 writes a JSON status with `job_count` to `$AIRFLOW_HOME/airflow-edge-worker.out`
once the pid file `$AIRFLOW_HOME/airflow-edge-worker.pid` is written. This one runs one "job" until a
signal comes, then writes `drained` or `killed` into `$STANDIN_OUT` (and its session id, for the test).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

HOME = Path(os.environ["AIRFLOW_HOME"])
OUT = Path(os.environ["STANDIN_OUT"])
ending: list[str] = []


def on_signal(received: int, _frame: FrameType | None) -> None:
    ending.append("drained" if received == signal.SIGINT else "killed")


def on_status(_received: int, _frame: FrameType | None) -> None:
    status = {"job_count": 0 if ending else 1, "drain": bool(ending)}
    (HOME / "airflow-edge-worker.out").write_text(json.dumps(status))


signal.signal(signal.SIGINT, on_signal)
signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGUSR2, on_status)
(HOME / "airflow-edge-worker.pid").write_text(str(os.getpid()))
(OUT.parent / "ready").write_text(json.dumps({"pid": os.getpid(), "session": os.getsid(0)}))
while not ending:
    time.sleep(0.05)
OUT.write_text(ending[0])
sys.exit(0 if ending[0] == "drained" else 1)
