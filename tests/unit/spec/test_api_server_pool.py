"""The api-server's connection pool outnumbers what can hold a connection at once, so Airflow's token
check on the event loop never waits for one (farflow.spec.components.API_SERVER_POOL says why)."""

from __future__ import annotations

import anyio
import anyio.to_thread
from airflow.configuration import conf

from farflow.spec.components import (
    AIRFLOW_POOL_SIZE,
    API_SERVER,
    API_SERVER_CONNECTIONS,
    SCHEDULER,
    Component,
)

MAX_OVERFLOW = "AIRFLOW__DATABASE__SQL_ALCHEMY_MAX_OVERFLOW"
# Requests seen in flight at once when the default pool stalled the api-server under the fault soak.
IN_FLIGHT_AT_A_STALL = 45


def fixed_settings(component: Component) -> dict[str, str]:
    return {setting.name: setting.render({}) for setting in component.settings if not setting.slots}


async def _worker_threads() -> int:
    return int(anyio.to_thread.current_default_thread_limiter().total_tokens)


def test_the_api_server_pool_outnumbers_its_worker_threads_and_the_event_loop() -> None:
    overflow = int(fixed_settings(API_SERVER)[MAX_OVERFLOW])
    pool_size = int(conf.get_default_value("database", "sql_alchemy_pool_size"))
    assert pool_size == AIRFLOW_POOL_SIZE, (
        "Airflow's default pool size changed: recount API_SERVER_CONNECTIONS"
    )
    connections = pool_size + overflow
    assert connections == API_SERVER_CONNECTIONS
    assert connections > anyio.run(_worker_threads) + 1
    assert connections > IN_FLIGHT_AT_A_STALL


def test_only_the_api_server_gets_the_larger_pool() -> None:
    """The scheduler and the rest keep Airflow's pool: their connections count against RDS's limit."""
    assert MAX_OVERFLOW not in fixed_settings(SCHEDULER)
