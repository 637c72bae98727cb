"""One cell of the table: a fresh endpoint with a fixed delay, one executor, N queued tasks."""

from __future__ import annotations

from benchmarks.launch.drive import Pacing, drive
from benchmarks.launch.endpoint import EndpointProcess
from benchmarks.launch.executors import ExecutorSpec
from benchmarks.launch.metrics import Cell, summarise
from benchmarks.launch.seed import seed


def notes(interval: float, settle: float) -> tuple[str, ...]:
    """How each column is measured, for the report."""
    return (
        "Each (executor, delay, N) cell gets a fresh local ECS endpoint (farflow.local.endpoint, execute=False: "
        "tasks go RUNNING without a process) in a process of its own, so the benchmark's process holds only "
        "the executor, as a scheduler would, and no cell sees another's tasks.",
        "The delay is added by the endpoint to every ECS and S3 call (farflow+store writes each workload to S3 "
        "before its RunTask); concurrent calls are not serialised.",
        "N tasks are queued with queue_workload() before the first heartbeat; heartbeat() is then called every "
        f"interval ({interval:g} s, or right after a heartbeat that took longer) until all N have a RUNNING "
        f"event in get_event_buffer(), then for a settle window ({settle:g} s) to see the steady-state polling.",
        "Executors are built with parallelism >= N, so Airflow's BaseExecutor hands them all N tasks in the "
        "first heartbeat (a real scheduler queues at most max_tis_per_query tasks per loop).",
        "Before the first cell the process is warmed up as a running scheduler would be (Airflow's metrics "
        "registry, SQLAlchemy mappers): otherwise the first heartbeat of any executor pays ~0.3-0.9 s of "
        "Airflow's one-time set-up.",
        "'of it: _process_workloads / sync': of the longest heartbeat, the time inside the executor's "
        "_process_workloads (handing over new tasks) and sync(); the rest is Airflow's BaseExecutor. Timed by "
        "wrapping both on the instance (measurement only).",
        "RunTask and DescribeTasks calls are counted at the endpoint by X-Amz-Target, from the first heartbeat "
        "to the end of the settle window (health checks in start() are not counted). 'DescribeTasks / s, all "
        "RUNNING' counts the settle window only.",
        "'all RUNNING after': seconds from the first heartbeat to the end of the heartbeat whose events made "
        "all N RUNNING.",
        "'launch rate after burst' (farflow): (N - run_task_burst) / (time of the last RUNNING event - time of "
        "the run_task_burst-th), as a % of run_task_rate. Tokens that refill while the burst drains let a few "
        "more through at full speed, so it can exceed 100%.",
        "'rounds with ceil(n/100) calls' (farflow): DescribeTasks rounds whose calls equalled ceil(tracked "
        "ARNs / 100), out of all rounds; observed by wrapping the tracker's round on the instance.",
        "The Amazon executor's end() waits until every ECS task stops, which never happens here, so it is not "
        "called (it has no threads to stop); farflow's end() is.",
    )


def run_cell(spec: ExecutorSpec, n: int, delay_ms: int, pacing: Pacing) -> Cell:
    """A fresh endpoint with `delay_ms` on every call, seeded; one executor; N tasks."""
    from tests.support.workloads import make_workload

    with EndpointProcess(delay_ms) as endpoint:
        seeded = seed(endpoint.url)
        executor = spec.create(seeded, parallelism=max(n, 32))
        workloads = [make_workload(f"task_{index:05d}") for index in range(n)]
        samples = drive(executor, workloads, pacing, endpoint.counts, spec.stop)
    return summarise(spec.name, delay_ms, samples)
