"""No test reaches a service outside the project: the machine's PostgreSQL, Redis or RabbitMQ on their usual
loopback ports, or any broker URL. A test that needs PostgreSQL starts the embedded one
(tests/support/postgres.py); everything else runs in process or on a free port of its own."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).parents[1]
LOOPBACK = r"(?:127\.0\.0\.1|localhost|\[::1\]|::1)"
OUTSIDE = re.compile(
    rf"{LOOPBACK}['\"]?\s*[:,]\s*(?:5432|6379|5672)\b"  # host:port, or (host, port)
    rf"|\bhost\s*=\s*['\"]?{LOOPBACK}"  # a libpq keyword DSN naming a loopback server
    r"|\bport\s*=\s*['\"]?(?:6379|5672)\b"
    r"|\b(?:redis|rediss|amqp|amqps|pyamqp)://",
    re.IGNORECASE,
)


def outside_references(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if OUTSIDE.search(line)]


def test_no_test_file_names_a_service_outside_the_project() -> None:
    found = {
        str(path.relative_to(TESTS)): hits
        for path in sorted(TESTS.rglob("*.py"))
        if path != Path(__file__) and (hits := outside_references(path.read_text()))
    }
    assert found == {}, f"tests must start what they use (tests/support/postgres.py): {found}"


def test_the_search_finds_the_ways_a_test_would_name_them() -> None:
    assert outside_references('ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"')
    assert outside_references('POSTGRES = "postgresql+psycopg2://postgres@127.0.0.1:5432"')
    assert outside_references('socket.create_connection(("localhost", 6379))')
    assert outside_references('BROKER = "amqp://guest@localhost//"')
    assert outside_references('url = "redis://cache:6379/0"')
    # The deploy's RDS port and an embedded server's socket name are not connections to the machine's.
    assert not outside_references('"[database]\\nport = 5432\\n"')
    assert not outside_references('assert len(f"{socket_dir}/.s.PGSQL.5432") < 108')
