"""ECS's times as the executor receives them: boto3 gives datetimes, events ISO strings, JSON epoch seconds."""

from __future__ import annotations

from datetime import datetime, timezone


def timestamp(value: object) -> datetime | None:
    """A timezone-aware datetime, or None for what is not a time."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    if isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return None
