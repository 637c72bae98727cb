"""farflow's sample DAG: one Airflow task on farflow's executor, three ECS tasks, one task on the worker.

    start_process >> [odd_task, even_task] >> numbers_task >> on_worker_task

Every name that differs between your laptop and AWS comes from the environment that farflow sets for
the scheduler, the dag-processor and every task (see docs/local.md), so this file runs unchanged on
`farflow local up` and on Fargate. Only the endpoint differs: locally AWS_ENDPOINT_URL points boto3 at
farflow's loopback ECS, on AWS it is unset.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.providers.amazon.aws.operators.ecs import EcsRunTaskOperator
from airflow.sdk import DAG, task


def _names(variable: str) -> list[str]:
    return [name.strip() for name in os.environ.get(variable, "").split(",") if name.strip()]


CLUSTER = os.environ.get("FARFLOW_CLUSTER", "farflow")
SUBNETS = _names("FARFLOW_SUBNETS")
SECURITY_GROUPS = _names("FARFLOW_SECURITY_GROUPS")
TASK_DEFINITION_PREFIX = os.environ.get("FARFLOW_TASK_DEFINITION_PREFIX", "farflow-")
LOG_GROUP = os.environ.get("FARFLOW_LOG_GROUP", "/farflow/tasks")
# How often the operators ask ECS whether their task has stopped: short locally, gentler on AWS.
WAITER_DELAY = float(os.environ.get("FARFLOW_WAITER_DELAY", "6"))
# "True" on a deployment without NAT gateway: tasks then run in public subnets and need a public IP.
ASSIGN_PUBLIC_IP = "ENABLED" if os.environ.get("FARFLOW_ASSIGN_PUBLIC_IP") == "True" else "DISABLED"


def ecs_task(task_id: str, folder: str, script: str) -> EcsRunTaskOperator:
    """Run `python <script>` from tasks/<folder>/ as its own ECS task (task definition per folder)."""
    return EcsRunTaskOperator(
        task_id=task_id,
        cluster=CLUSTER,
        task_definition=f"{TASK_DEFINITION_PREFIX}{folder}",
        launch_type="FARGATE",
        overrides={"containerOverrides": [{"name": folder, "command": ["python", script]}]},
        network_configuration={
            "awsvpcConfiguration": {
                "subnets": SUBNETS,
                "securityGroups": SECURITY_GROUPS,
                "assignPublicIp": ASSIGN_PUBLIC_IP,
            }
        },
        # The task's output, read back from CloudWatch Logs into this Airflow task's log.
        awslogs_group=LOG_GROUP,
        awslogs_stream_prefix="ecs",
        container_name=folder,
        awslogs_fetch_interval=timedelta(seconds=WAITER_DELAY),
        waiter_delay=WAITER_DELAY,
        # None: boto3's own chain (the task role on Fargate, the local endpoint's dummy keys locally).
        aws_conn_id=None,
    )


with DAG(
    dag_id="sample_dag",
    description="farflow's sample: parallel ECS tasks between an ECS-executor task and a worker task.",
    start_date=datetime(2024, 1, 1),
    schedule=None,
    catchup=False,
    tags=["farflow", "sample"],
):

    @task(executor_config={"cpu": 512, "memory": 1024})
    def start_process() -> str:
        """Runs as its own ECS task through farflow's executor, sized by executor_config."""
        print("Starting the sample process")
        return "started"

    @task(executor="worker")
    def on_worker_task() -> None:
        """Runs on the executor behind the `worker` alias: the LocalExecutor next to the scheduler locally,
        long-running workers on AWS. Same file, two places (Airflow's multi-executor configuration)."""
        print("All ECS tasks finished; this ran on the worker executor")

    odd_task = ecs_task("odd_task", "multi_task", "odd_numbers.py")
    even_task = ecs_task("even_task", "multi_task", "even_numbers.py")
    numbers_task = ecs_task("numbers_task", "number_task", "numbers.py")

    start_process() >> [odd_task, even_task] >> numbers_task >> on_worker_task()
