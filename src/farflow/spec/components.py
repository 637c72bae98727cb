"""Airflow 3's processes, what each runs, and exactly which settings and secrets each receives.

Secrets follow Airflow's security model, and no container gets a key it does not read:
`[core] fernet_key` where the metadata database is read or written; `[api] secret_key` on the
api-server (FAB sessions, the log requests it signs), the triggerer (its log server checks them) and
the scheduler, never where tasks run (see AIRFLOW_TASK); `[api_auth] jwt_secret` only where
tokens are signed or checked (api-server, scheduler) and on Edge workers, which need it; the database
nowhere that runs task code (tasks, workers).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from farflow.spec.secrets import Secret
from farflow.spec.settings import Setting, Slot


@dataclass(frozen=True)
class Component:
    """One Airflow process kind: its `airflow` sub-command, settings, secrets and health check."""

    name: str
    command: tuple[str, ...]
    settings: tuple[Setting, ...]
    secrets: frozenset[Secret]
    runs_user_code: bool
    # How the platform asks whether it is alive: an HTTP path on `port`, or an `airflow` command.
    port: int | None = None
    health_path: str | None = None
    health_command: tuple[str, ...] | None = None

    @property
    def slots(self) -> frozenset[Slot]:
        return frozenset(slot for setting in self.settings for slot in setting.slots)


EXECUTOR_CLASS = "farflow.executor.EcsFargateExecutor"

# What every Airflow process reads: where DAGs are, which executors exist, where the execution API is.
AIRFLOW_BASE: tuple[Setting, ...] = (
    Setting("AIRFLOW__CORE__DAGS_FOLDER", Slot.DAGS_FOLDER),
    Setting("AIRFLOW__CORE__LOAD_EXAMPLES", "False"),
    Setting("AIRFLOW__CORE__EXECUTOR", (EXECUTOR_CLASS, Slot.WORKER_EXECUTOR)),
    Setting("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", Slot.EXECUTION_API_URL),
    Setting("AIRFLOW__CORE__AUTH_MANAGER", Slot.AUTH_MANAGER),
    Setting("PYTHONUNBUFFERED", "1"),
)

# The FARFLOW_* variables DAGs read (the sample DAG, and any DAG of the project), set the same way locally
# and on AWS, for everything that parses or runs DAGs.
DAG_SETTINGS: tuple[Setting, ...] = (
    Setting("FARFLOW_CLUSTER", Slot.CLUSTER),
    Setting("FARFLOW_SUBNETS", Slot.SUBNETS),
    Setting("FARFLOW_SECURITY_GROUPS", Slot.SECURITY_GROUPS),
    Setting("FARFLOW_TASK_DEFINITION_PREFIX", Slot.TASK_DEFINITION_PREFIX),
    Setting("FARFLOW_LOG_GROUP", Slot.TASK_LOG_GROUP),
    Setting("FARFLOW_WAITER_DELAY", Slot.WAITER_DELAY),
    # Tasks a DAG starts need a public IP where the platform has no NAT gateway (see NetworkConfig).
    Setting("FARFLOW_ASSIGN_PUBLIC_IP", Slot.ASSIGN_PUBLIC_IP),
)
DAG_VARIABLES = tuple(setting.name for setting in DAG_SETTINGS)

# Where DAG files come from: the DAGs bucket's S3 bundle, or the dags folder (farflow.spec.dag_bundle).
# Every process that parses or runs DAGs reads it, and those that only name a bundle (the api-server's
# links, the scheduler) know the same list; the migration parses nothing.
BUNDLE_SETTINGS: tuple[Setting, ...] = (
    Setting("AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST", Slot.DAG_BUNDLES),
)

# Where users open the UI: FAB builds its login and post-login redirect from it, and every process that
# writes a link does too (the scheduler and triggerer, task log and alert e-mail links in tasks and
# workers, DAG callbacks in the dag-processor), so each gets it, not only the api-server.
LINK_SETTINGS: tuple[Setting, ...] = (Setting("AIRFLOW__API__BASE_URL", Slot.API_BASE_URL),)

# The scheduler's `[ecs_fargate]` keys that the platform decides (the rest keep their defaults).
EXECUTOR_SETTINGS: tuple[Setting, ...] = (
    Setting("AIRFLOW__ECS_FARGATE__REGION", Slot.REGION),
    Setting("AIRFLOW__ECS_FARGATE__CLUSTER", Slot.CLUSTER),
    Setting("AIRFLOW__ECS_FARGATE__CONTAINER_NAME", Slot.AIRFLOW_CONTAINER),
    Setting("AIRFLOW__ECS_FARGATE__TASK_DEFINITION", Slot.AIRFLOW_TASK_DEFINITION),
    Setting("AIRFLOW__ECS_FARGATE__SUBNETS", Slot.SUBNETS),
    Setting("AIRFLOW__ECS_FARGATE__SECURITY_GROUPS", Slot.SECURITY_GROUPS),
    Setting("AIRFLOW__ECS_FARGATE__ASSIGN_PUBLIC_IP", Slot.ASSIGN_PUBLIC_IP),
    # Keeps each task's Airflow token out of its RunTask request (farflow.spec.workload_store).
    Setting("AIRFLOW__ECS_FARGATE__WORKLOAD_STORE", Slot.WORKLOAD_STORE),
    Setting("AIRFLOW__ECS_FARGATE__EVENTS_QUEUE_URL", Slot.EVENTS_QUEUE_URL),
)

# The api-server's database connections. Airflow 3 checks the token of every UI and REST API request
# against its revoked-token table with a synchronous query on the server's event loop
# (apache/airflow#66493; FAB's user lookup on AWS is another). Requests keep their session's connection
# while they wait for one of the 40 worker threads and until the event loop closes the session, so
# under a fan-out of running tasks (their heartbeats and state calls) Airflow's default pool of 15 is
# soon all held: a token check then waits for a connection with the event loop stopped, nothing can
# give one back, and the whole server, every task's heartbeat included, stands still until the pool's
# 30 s timeout fails that request. This is a margin, not a bound: a pool of 60 outnumbers the worker
# threads and the event loop with room for the requests in between (up to about 45 were in flight at a
# stall, with 32 tasks running). Connections past the 5 kept are closed when given back.
AIRFLOW_POOL_SIZE = 5  # Airflow's [database] sql_alchemy_pool_size default
AIRFLOW_MAX_OVERFLOW = 10  # Airflow's [database] sql_alchemy_max_overflow default
API_SERVER_CONNECTIONS = 60
MAX_OVERFLOW = "AIRFLOW__DATABASE__SQL_ALCHEMY_MAX_OVERFLOW"
API_SERVER_POOL: tuple[Setting, ...] = (
    Setting(MAX_OVERFLOW, str(API_SERVER_CONNECTIONS - AIRFLOW_POOL_SIZE)),
)

_DATABASE = frozenset({Secret.FERNET_KEY, Secret.DATABASE_URL})
_LOGS = frozenset({Secret.API_SECRET_KEY})
_TOKENS = frozenset({Secret.JWT_SECRET})


def _jobs_check(job_type: str) -> tuple[str, ...]:
    return ("jobs", "check", "--job-type", job_type, "--local")


API_SERVER = Component(
    name="api-server",
    command=("api-server",),
    settings=(*AIRFLOW_BASE, *DAG_SETTINGS, *BUNDLE_SETTINGS, *LINK_SETTINGS, *API_SERVER_POOL),
    secrets=_DATABASE | _LOGS | _TOKENS,
    runs_user_code=False,
    port=8080,
    health_path="/api/v2/monitor/health",
)
SCHEDULER = Component(
    name="scheduler",
    command=("scheduler",),
    settings=(*AIRFLOW_BASE, *DAG_SETTINGS, *BUNDLE_SETTINGS, *LINK_SETTINGS, *EXECUTOR_SETTINGS),
    secrets=_DATABASE | _LOGS | _TOKENS,
    runs_user_code=False,
    health_command=_jobs_check("SchedulerJob"),
)
DAG_PROCESSOR = Component(
    name="dag-processor",
    command=("dag-processor",),
    settings=(*AIRFLOW_BASE, *DAG_SETTINGS, *BUNDLE_SETTINGS, *LINK_SETTINGS),
    secrets=_DATABASE,
    runs_user_code=True,  # parses DAG files; Airflow 3 still gives it the database
    health_command=_jobs_check("DagProcessorJob"),
)
TRIGGERER = Component(
    name="triggerer",
    command=("triggerer",),
    settings=(*AIRFLOW_BASE, *DAG_SETTINGS, *BUNDLE_SETTINGS, *LINK_SETTINGS),
    secrets=_DATABASE | _LOGS,
    runs_user_code=True,  # runs triggers; Airflow 3 still gives it the database
    health_command=_jobs_check("TriggererJob"),
)
# Why task processes (the Airflow task container, and the Edge worker, which runs tasks in-process)
# get neither `[core] fernet_key` nor `[api] secret_key`, from Airflow 3.3.2's code paths:
# - Connections and variables reach a task through the execution API already decrypted; the Task SDK
#   reads the Fernet key only in `airflow.sdk.crypto.get_fernet`, which only the deltalake and iceberg
#   XCom serializers call, and without a key it warns and leaves their storage options unencrypted
#   (docs/security.md) instead of failing. Core's config, imported by the CLI, makes up an in-memory
#   key when none is set and writes nothing.
# - `[api] secret_key` signs the JWTs of log requests (`file_task_handler._fetch_logs_from_service`)
#   and checks them in the log server (`serve_logs.log_server`). Neither runs in a task process: tasks
#   write their logs to CloudWatch (AWS) or the shared log folder (local), the Edge worker pushes its
#   jobs' logs through the Edge API (`[edge] push_logs`, authenticated with the JWT secret) and
#   starts no log server, and the api-server reads the logs from there.
# The container farflow's executor starts for every Airflow task: no database, no key.
AIRFLOW_TASK = Component(
    name="airflow-task",
    command=("python", "-m", "airflow.sdk.execution_time.execute_workload"),
    settings=(*AIRFLOW_BASE, *DAG_SETTINGS, *BUNDLE_SETTINGS, *LINK_SETTINGS),
    secrets=frozenset(),
    runs_user_code=True,
)
# The long-running worker pool behind the `worker` executor alias (AWS: Edge workers; locally the
# LocalExecutor runs inside the scheduler, so there is no separate process).
WORKER = Component(
    name="worker",
    # Runs `airflow edge worker` so that ECS's SIGTERM drains it instead of killing its jobs.
    command=("python", "-m", "farflow.worker"),
    settings=(*AIRFLOW_BASE, *DAG_SETTINGS, *BUNDLE_SETTINGS, *LINK_SETTINGS),
    # The Edge API's tokens only (see AIRFLOW_TASK for why no Fernet key and no `[api] secret_key`).
    secrets=_TOKENS,
    runs_user_code=True,
    # Signals the running worker (pid file) and waits for its status: fails if it is gone or hung.
    health_command=("edge", "status"),
)
# Runs once per deploy before the services roll: `airflow db migrate`, then the admin user.
MIGRATION = Component(
    name="migration",
    command=("db", "migrate"),
    settings=AIRFLOW_BASE,
    secrets=_DATABASE | frozenset({Secret.ADMIN_PASSWORD}),
    runs_user_code=False,
)


@dataclass(frozen=True)
class Running:
    """How both platforms run one long-running component: the deploy as an ECS service in `[airflow.<table>]`
    of farflow.toml (its own task definition and task role), the local stack as a process."""

    # Its farflow.toml table, `[airflow.<table>]`, and what the table's comment says.
    table: str
    help: str
    # Its default Fargate size.
    cpu: int
    memory: int
    # Words for its `count` key if it runs as several tasks (Airflow runs several api-servers and
    # schedulers); empty: one task, and no `count` key.
    count_help: str = ""
    # Its key in the api-server's health document (/api/v2/monitor/health); None: not reported there.
    health_key: str | None = None
    # Runs Airflow's log server (which the local stack leaves off: every process shares one disk).
    serves_logs: bool = False
    # Stops its own child processes in order on SIGTERM, so a stop never hurries it.
    ends_its_children_itself: bool = False

    @property
    def scales(self) -> bool:
        return bool(self.count_help)


# Every long-running component both platforms start, in start order, and how each runs: the deploy's
# services, sizes, farflow.toml tables and task roles, the local stack's processes, health and log files
# are all rendered from here.
TABLE: dict[Component, Running] = {
    API_SERVER: Running(
        table="api_server",
        help="The api-server: UI, REST API and the execution API tasks report to.",
        cpu=1024,
        memory=2048,
        count_help="api-server tasks behind the load balancer; 2 keeps the UI and the execution API up "
        "through a task's replacement or an Availability Zone's loss, each costs its cpu and memory.",
    ),
    SCHEDULER: Running(
        table="scheduler",
        help="The scheduler, which runs farflow's executor.",
        cpu=1024,
        memory=2048,
        count_help="Schedulers (Airflow 3 runs several on one database, sharing the work); 2 keeps "
        "scheduling through one's replacement, each costs its cpu and memory and holds database connections.",
        health_key="scheduler",
        serves_logs=True,
        # It ends its executor's workers itself, in order (a LocalExecutor worker first finishes its task).
        ends_its_children_itself=True,
    ),
    DAG_PROCESSOR: Running(
        table="dag_processor",
        help="The dag-processor, which parses the files in dags/.",
        cpu=512,
        memory=1024,
        health_key="dag_processor",
    ),
    TRIGGERER: Running(
        table="triggerer",
        help="The triggerer, which runs deferred tasks' triggers.",
        cpu=512,
        memory=1024,
        health_key="triggerer",
        serves_logs=True,
    ),
}


def components() -> tuple[Component, ...]:
    """The long-running components both platforms start, as `TABLE` holds them now."""
    return tuple(TABLE)


# The four long-running components both platforms start (`TABLE`'s keys).
COMPONENTS: tuple[Component, ...] = components()
# Everything the deploy runs as an ECS service.
SERVICES: tuple[Component, ...] = (*COMPONENTS, WORKER)


def pool_ceiling(component: Component, pool_size: int = AIRFLOW_POOL_SIZE) -> int:
    """The most connections one process of the component opens through Airflow's pool (0 without the
    database): the pool's kept connections and its overflow, from the component's own settings."""
    if Secret.DATABASE_URL not in component.secrets:
        return 0
    fixed = {setting.name: setting.value for setting in component.settings if not setting.slots}
    overflow = fixed.get(MAX_OVERFLOW, str(AIRFLOW_MAX_OVERFLOW))
    return pool_size + int(str(overflow))


def render_environment(component: Component, slots: Mapping[Slot, str]) -> dict[str, str]:
    """The component's plain environment, with every slot filled (KeyError names a missing slot)."""
    return {setting.name: setting.render(slots) for setting in component.settings}
