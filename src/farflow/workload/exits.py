"""The exit codes of `python -m farflow.workload` when it cannot run the workload, and what each means.

Chosen from BSD's sysexits range, which Airflow's task runner does not use: before the workload runs
the entry point exits with one of these; after, it exits as `execute_workload` does. The executor adds
the meaning to its "ecs task stopped" event, so the reason reads in the Airflow UI, not only in the
container's log. Standard library only: farflow.executor.outcomes imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum


class Exit(IntEnum):
    USAGE = 64
    NOT_A_WORKLOAD = 65
    MISSING = 66
    UNAVAILABLE = 69
    DENIED = 77
    TOKEN_EXPIRED = 78


MEANINGS: Mapping[int, str] = {
    Exit.USAGE: "farflow.workload got no valid s3:// workload reference in its command",
    Exit.NOT_A_WORKLOAD: "the workload object is not an Airflow workload",
    Exit.MISSING: (
        "the workload object does not exist: it was deleted before this container started "
        "(by an earlier start of the same launch, by someone, or by the store's one-day expiry)"
    ),
    Exit.UNAVAILABLE: "the workload store could not be reached",
    Exit.DENIED: (
        "the task role may not read the workload object (it needs s3:GetObject on the object and "
        "kms:Decrypt on the store's key)"
    ),
    Exit.TOKEN_EXPIRED: (
        "the workload's Airflow token expired before the container started; the task waited longer "
        "than [scheduler] task_queued_timeout between being queued and starting"
    ),
}
