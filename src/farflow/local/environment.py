"""The environment of every local process, rendered from `farflow.spec` by pure functions.

Three audiences: Airflow's components (api-server, scheduler, dag-processor, triggerer, and the
migration), Airflow task processes that the local ECS endpoint starts from the Airflow task definition,
and the DAGs, which read the FARFLOW_* names a deployment on AWS sets the same way. Each gets its spec's
settings with the local slot values (slots.py), exactly its spec's secrets, and the local-only extras
(local_only.py); nothing else is written here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from farflow.deploy.config import DeployConfig
from farflow.deploy.config_keys import FILE_NAME
from farflow.local.components import spec_component
from farflow.local.layout import DEFAULT_NAMES, SeededNames, StackLayout
from farflow.local.local_only import LOCAL_ONLY, STACK_MARKER, component_extras, task_extras
from farflow.local.roles import credentials, role_name
from farflow.local.slots import component_secrets, local_slots
from farflow.local.state import Secrets
from farflow.spec import AIRFLOW_TASK, SCHEDULER, Component, Secret, render_environment
from farflow.spec.airflow_options import AirflowOption, options_environment
from farflow.spec.iam import role_of

# The default names, for the tests and benchmarks that seed an endpoint the way the stack does.
CLUSTER = DEFAULT_NAMES.cluster
AIRFLOW_FAMILY = DEFAULT_NAMES.airflow_family
AIRFLOW_CONTAINER = DEFAULT_NAMES.airflow_container

# What a task process may inherit from the user's shell: programs, modules and a locale, no more. (Tasks
# run in this Python environment, so they see the modules it sees.)
INHERITED_BY_TASKS = (
    "PATH",
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "HOME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "USER",
    "LOGNAME",
)

# A secret from the user's shell must not reach a component the spec withholds it from; Airflow also
# reads `<option>_CMD` and `<option>_SECRET` variants of every option.
_SECRET_VARIABLES = frozenset(
    f"{secret.env_var}{suffix}" for secret in Secret for suffix in ("", "_CMD", "_SECRET")
)


class StackConfigError(ValueError):
    """A setting of the local stack is unusable; the message names it and the fix."""


def project_config(project: Path) -> DeployConfig:
    """The project's farflow.toml as the deploy reads it (the defaults without one): the local stack
    takes its `[airflow.options]` and `[permissions]`."""
    from farflow.deploy.config_file import DeployConfigError, load

    if not (project / FILE_NAME).is_file():
        return DeployConfig()
    try:
        return load(project)
    except DeployConfigError as error:
        raise StackConfigError(str(error)) from None


def project_airflow_options(project: Path) -> tuple[AirflowOption, ...]:
    """The project's [airflow.options], from its farflow.toml (none without one), as the deploy reads them."""
    return project_config(project).airflow.options


def check_database_url(url: str) -> str:
    """Accept SQLite and PostgreSQL URLs (what the local stack is tested with); name the fix otherwise."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        return _check_sqlite(url)
    if scheme.startswith("postgresql"):
        return url
    raise StackConfigError(
        f"The database URL's scheme {scheme!r} is not supported locally. Leave out --database-url for the "
        "embedded PostgreSQL, or use postgresql+psycopg2://USER@127.0.0.1:5432/DBNAME or "
        "sqlite:////absolute/path.db (--database-url or FARFLOW_DATABASE_URL)."
    )


def _check_sqlite(url: str) -> str:
    """A SQLite URL must name an absolute file: every component runs in its own folder, and Airflow's
    migration refuses a relative path (and an in-memory database would be one per process)."""
    import sqlalchemy

    database = sqlalchemy.engine.make_url(url).database or ""
    if database and database != ":memory:" and Path(database).is_absolute():
        return url
    fix = (
        f"sqlite:///{Path(database).resolve()} (four slashes: an absolute path)"
        if database and database != ":memory:"
        else "sqlite:////absolute/path.db"
    )
    raise StackConfigError(
        f"The SQLite database URL {url} does not name an absolute file path, which every Airflow component "
        f"must share. Use {fix}, in --database-url or FARFLOW_DATABASE_URL."
    )


def check_executor_settings(inherited: Mapping[str, str]) -> None:
    """StackConfigError naming the key if the `[ecs_fargate]` values the scheduler would take from the
    user's shell are ones the executor refuses: said in one line before anything starts, not as the tail
    of a scheduler traceback after the database is up. The values the stack sets itself stand in valid."""
    from farflow.executor.settings import OPTIONS_BY_NAME, ConfigError, load_settings

    shell = kept_from_shell(inherited)
    set_by_stack = {setting.name for setting in SCHEDULER.settings} | LOCAL_ONLY

    def read(key: str) -> str | None:
        option = OPTIONS_BY_NAME[key]
        if option.env_var in set_by_stack:
            return "local" if option.required else None
        return shell.get(option.env_var)

    try:
        load_settings(read)
    except ConfigError as error:
        raise StackConfigError(f"{error} It is set in your shell's environment: fix or unset it.") from None


def kept_from_shell(inherited: Mapping[str, str]) -> dict[str, str]:
    """The user's shell (their own AIRFLOW__* tuning included) without AWS credentials and profiles, which
    could send a local run to a real account, Airflow's home, and any secret."""
    return {
        key: value
        for key, value in inherited.items()
        if not key.startswith("AWS_")
        and key not in {"AIRFLOW_HOME", "AIRFLOW_CONFIG"}
        and key not in _SECRET_VARIABLES
    }


def component_environment(
    name_or_component: str | Component,
    inherited: Mapping[str, str],
    layout: StackLayout,
    seeded: SeededNames | None,
    shared: Secrets,
) -> dict[str, str]:
    """One component's environment: the shell, the local-only extras with keys that name the component's
    task role (`farflow.local.roles`), then its spec settings and secrets.
    `seeded` may be None for a component that needs none of its slots (the migration, before the seed).

    With an empty `inherited`, the keys are the spec's settings and secrets plus keys of LOCAL_ONLY.
    """
    component = spec_component(name_or_component)
    return {
        **kept_from_shell(inherited),
        **component_extras(layout),
        **options_environment(component.name, layout.airflow_options),
        **credentials(role_name(layout.names, role_of(component))),
        **render_environment(component, local_slots(layout, seeded)),
        **component_secrets(component, layout, shared),
    }


def airflow_task_env(layout: StackLayout, seeded: SeededNames, shared: Secrets) -> dict[str, str]:
    """The Airflow task definition's environment: what `execute_workload` needs, nothing inherited, no
    database and no JWT secret. The endpoint adds AWS_ENDPOINT_URL, the region and dummy keys itself."""
    return {
        **task_extras(layout),
        **options_environment(AIRFLOW_TASK.name, layout.airflow_options),
        **render_environment(AIRFLOW_TASK, local_slots(layout, seeded)),
        **component_secrets(AIRFLOW_TASK, layout, shared),
    }


def task_base_env(inherited: Mapping[str, str], stack_id: str) -> dict[str, str]:
    """What every ECS task process starts from (the endpoint's base_env): a few basics and the marker."""
    kept = {key: inherited[key] for key in INHERITED_BY_TASKS if key in inherited}
    return {**kept, STACK_MARKER: stack_id}
