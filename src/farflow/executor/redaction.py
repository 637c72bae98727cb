"""Keeps Airflow workload tokens out of logs, even with botocore's DEBUG logging (which dumps bodies) on.

The token travels inside the RunTask command's --json-string and comes back in DescribeTasks overrides.
"""

from __future__ import annotations

import logging
import re

# "token":"...", however many backslashes JSON-in-JSON-in-repr put before the quotes; and bare JWTs.
_TOKEN_FIELD = re.compile(r'(\\*"token\\*"\s*:\s*\\*")[^"\\]+')
_JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")
REDACTED = "***"

# The loggers that print request and response bodies.
BODY_LOGGERS = ("botocore.endpoint", "botocore.parsers", "botocore.hooks", "botocore.httpsession")


def redact(text: str) -> str:
    return _JWT.sub(REDACTED, _TOKEN_FIELD.sub(rf"\g<1>{REDACTED}", text))


class AirflowTokenRedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def install_airflow_token_redaction() -> None:
    """Idempotent: adds the filter once to each body-dumping logger."""
    for name in BODY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, AirflowTokenRedactingFilter) for existing in logger.filters):
            logger.addFilter(AirflowTokenRedactingFilter())
