"""The leak search finds what it looks for, so its silence after a soak means something."""

from __future__ import annotations

from tests.support.leaks import Leak, search

SECRETS = {"fernet key": "Zm9vYmFyLWZlcm5ldC1rZXk=", "admin password": "s3cr3t-pw"}
TOKEN = "eyJhbGciOiJIUzUxMiJ9.eyJzdWIiOiJ0aSJ9.c2lnbmF0dXJl"


def test_finds_each_secret_and_any_jwt_by_source_without_quoting_values() -> None:
    sources = [
        ("scheduler.log", "INFO all fine"),
        ("task.log", f"key is {SECRETS['fernet key']}"),
        ("event log", f'{{"extra": "Bearer {TOKEN}"}}'),
    ]
    leaks, searched = search(sources, SECRETS)
    assert searched == 3
    assert leaks == [Leak("task.log", "fernet key"), Leak("event log", "a workload token (JWT)")]
    assert all(value not in repr(leaks) for value in SECRETS.values())
