"""Where the local stack's pieces are, and what the seed created: the inputs every local environment
and task definition is rendered from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from farflow.local.state import StateDir
from farflow.spec import Names
from farflow.spec.airflow_options import AirflowOption

# The names a stack gets unless told otherwise: the deploy's default prefix, `farflow`.
DEFAULT_NAMES = Names()


@dataclass(frozen=True)
class SeededNames:
    """What the seed created on the endpoint: the names the executor and the DAG need."""

    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    cluster: str = DEFAULT_NAMES.cluster
    workload_store: str = ""  # s3://bucket/prefix/ (empty: workloads travel in the RunTask command)
    dags_bucket: str = ""  # the DAG bundle's bucket (empty: every process reads dags/ in place)


@dataclass(frozen=True)
class StackLayout:
    """Where everything is: project, state, ports, database, endpoint, and the names the deploy uses too."""

    project: Path
    state: StateDir
    api_port: int
    endpoint_url: str
    database_url: str
    region: str = "us-east-1"
    stack_id: str = "farflow"
    names: Names = DEFAULT_NAMES
    # farflow.toml's [airflow.options]: the same options the deploy sets, on the same components.
    airflow_options: tuple[AirflowOption, ...] = ()

    @property
    def api_url(self) -> str:
        """How processes on this machine reach the api-server: the address it listens on, no lookup."""
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def ui_url(self) -> str:
        """The same server as a person opens it (Airflow's base URL), spelled the way browsers show it."""
        return self.api_url.replace("127.0.0.1", "localhost", 1)

    @property
    def dags_folder(self) -> Path:
        """The project's dags/, which every process reads in place, as on AWS the image's copy."""
        return self.project / "dags"
