"""The secrets Airflow's processes share, and the variable each arrives in.

Which component gets which follows Airflow 3's security model (see `components.py`): a process that
runs user code gets neither the database nor, unless it must check tokens itself, the JWT secret.
"""

from __future__ import annotations

from enum import Enum


class Secret(Enum):
    """A secret, by the environment variable that carries it into a container."""

    FERNET_KEY = "AIRFLOW__CORE__FERNET_KEY"
    JWT_SECRET = "AIRFLOW__API_AUTH__JWT_SECRET"
    API_SECRET_KEY = "AIRFLOW__API__SECRET_KEY"
    # The metadata database URL. On AWS the RDS secret's JSON arrives instead and
    # `farflow.database_url` composes the URL through Airflow's `_CMD` option (see docs/deploy.md).
    DATABASE_URL = "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
    # Only the migration job sees it: it creates or updates the admin user.
    ADMIN_PASSWORD = "FARFLOW_ADMIN_PASSWORD"

    @property
    def env_var(self) -> str:
        return self.value
