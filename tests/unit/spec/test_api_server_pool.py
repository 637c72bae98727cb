"""The api-server's connection pool outnumbers its worker threads and event loop, with room for the
requests seen in flight when Airflow's default pool stalled it (farflow.spec.components.API_SERVER_POOL
says why); every other process keeps Airflow's default pool."""

from __future__ import annotations

import anyio
import anyio.to_thread
from airflow.configuration import conf

from farflow.spec.components import (
    AIRFLOW_MAX_OVERFLOW,
    AIRFLOW_POOL_SIZE,
    AIRFLOW_TASK,
    API_SERVER,
    API_SERVER_CONNECTIONS,
    MAX_OVERFLOW,
    MIGRATION,
    SERVICES,
    Component,
    pool_ceiling,
)
from farflow.spec.secrets import Secret

ALL = (*SERVICES, AIRFLOW_TASK, MIGRATION)

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
    assert int(conf.get_default_value("database", "sql_alchemy_max_overflow")) == AIRFLOW_MAX_OVERFLOW
    connections = pool_size + overflow
    assert connections == API_SERVER_CONNECTIONS
    assert connections > anyio.run(_worker_threads) + 1
    assert connections > IN_FLIGHT_AT_A_STALL


def test_only_the_api_server_gets_the_larger_pool() -> None:
    """The rest keep Airflow's pool: their connections count against the database's limit."""
    for component in ALL:
        expected = API_SERVER_CONNECTIONS if component is API_SERVER else 15
        assert pool_ceiling(component) == (expected if Secret.DATABASE_URL in component.secrets else 0)
        assert (MAX_OVERFLOW in fixed_settings(component)) == (component is API_SERVER)
