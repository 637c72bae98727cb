"""When an Airflow workload token expires, read from the token itself.

Airflow 3.3 signs each workload's token when the scheduler queues the task, valid for
`[scheduler] task_queued_timeout` seconds (600 by default). The executor reads the expiry to stop
waiting for capacity in time; the entry point reads it to say "expired" instead of letting the
execution API answer 403. Neither checks the signature: only the api-server can, and neither needs to.
"""

from __future__ import annotations

import base64
import binascii
import json

TOKEN_LIFETIME_SETTING = (
    "[scheduler] task_queued_timeout (environment variable AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT)"
)
"""Airflow's setting that sets a workload token's lifetime, as messages name it."""


def expires_at(token: str) -> float | None:
    """The token's `exp` claim (seconds since the epoch), or None if it is not a JWT with one."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        return None
    return float(exp)
