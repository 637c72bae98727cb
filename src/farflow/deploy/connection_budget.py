"""Whether the database's default `max_connections` holds every connection farflow's processes can open.

Each process with the database opens up to its pool's ceiling (`farflow.spec.components.pool_ceiling`:
15 by Airflow's defaults, 60 for an api-server). The services run `count` processes each, and the
migration runs once per deploy beside them. A project whose ceiling passes the instance class's default
`max_connections` (farflow.deploy.database_connections) would see "too many clients" under load, in the
scheduler as anywhere, so it is refused before synth. Not counted: the async pools (the api-server's
few async routes connect on demand) and the second set of tasks a rolling update runs for a while.
"""

from __future__ import annotations

from farflow.deploy.config import DeployConfig, ScaledService
from farflow.deploy.database_connections import BURSTABLE_GIB, max_connections
from farflow.spec.airflow_options import AirflowOption
from farflow.spec.components import AIRFLOW_POOL_SIZE, API_SERVER, COMPONENTS, MIGRATION, pool_ceiling

POOL_SIZE_OPTION = "database.sql_alchemy_pool_size"
# PostgreSQL's superuser_reserved_connections default: slots the master user (rds_superuser, not a
# superuser) cannot take.
RESERVED = 3


def pool_size(options: tuple[AirflowOption, ...]) -> int:
    """`[database] sql_alchemy_pool_size` as `[airflow.options]` sets it, else Airflow's default."""
    for option in options:
        if option.name == POOL_SIZE_OPTION:
            return int(option.value)
    return AIRFLOW_POOL_SIZE


def connection_ceiling(config: DeployConfig) -> int:
    """The most connections the services (each times its count) and the migration can hold at once."""
    size = pool_size(config.airflow.options)
    services = 0
    for component in COMPONENTS:
        service = config.airflow.size(component)
        count = service.count if isinstance(service, ScaledService) else 1
        services += count * pool_ceiling(component, size)
    return services + pool_ceiling(MIGRATION, size)


def smallest_burstable_class(connections: int) -> str | None:
    """The smallest db.t4g class whose default `max_connections` holds `connections`."""
    for size in BURSTABLE_GIB:
        if max_connections(f"t4g.{size}") - RESERVED >= connections:
            return f"t4g.{size}"
    return None


def connection_problems(config: DeployConfig) -> list[str]:
    """One sentence naming the key and the fix when the ceiling passes the class's limit."""
    instance_class = config.database.instance_class
    limit = max_connections(instance_class) - RESERVED
    ceiling = connection_ceiling(config)
    if ceiling <= limit:
        return []
    fits = smallest_burstable_class(ceiling)
    larger = f' ("{fits}" allows {max_connections(fits) - RESERVED})' if fits else ""
    size = pool_size(config.airflow.options)
    return [
        f'[database] instance_class = "{instance_class}" allows about {limit} connections by default, but '
        f"the api-servers, schedulers, dag-processor, triggerer and migration can open up to {ceiling} "
        f"(Airflow's pools: up to {pool_ceiling(API_SERVER, size)} per api-server, "
        f"{pool_ceiling(MIGRATION, size)} per other process). Choose a larger class{larger}, or run "
        "fewer api-servers or schedulers."
    ]
