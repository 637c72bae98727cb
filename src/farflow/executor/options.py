"""The `[ecs_fargate]` options: one table that feeds the provider's config docs and the settings loader."""

from __future__ import annotations

from dataclasses import dataclass

SECTION = "ecs_fargate"


@dataclass(frozen=True)
class Option:
    """One `[ecs_fargate]` key, as `airflow config list --defaults` shows it."""

    name: str
    description: str
    type: str = "string"
    default: str | None = None
    example: str | None = None
    required: bool = False

    @property
    def env_var(self) -> str:
        return f"AIRFLOW__{SECTION.upper()}__{self.name.upper()}"


OPTIONS: tuple[Option, ...] = (
    Option("region", "AWS Region of the ECS cluster.", example="us-east-1", required=True),
    Option("cluster", "Name or ARN of the ECS cluster that runs the tasks.", required=True),
    Option(
        "container_name",
        "Name of the Airflow container in the task definition; it receives the task's command.",
        required=True,
    ),
    Option(
        "task_definition",
        "Task definition family (optionally family:revision or ARN) for Airflow tasks.",
        required=True,
    ),
    Option(
        "launch_type",
        "FARGATE or EC2. Leave empty when capacity_provider_strategy is set.",
        default="FARGATE",
    ),
    Option("platform_version", "Fargate platform version; dropped for EC2.", default="LATEST"),
    Option("assign_public_ip", "Give Fargate tasks a public IP.", type="boolean", default="False"),
    Option("security_groups", "Comma-separated security group ids.", example="sg-123,sg-456"),
    Option("subnets", "Comma-separated subnet ids (required for awsvpc tasks).", example="subnet-1,subnet-2"),
    Option(
        "run_task_kwargs",
        "Base of every RunTask request: a JSON object, or a dotted import path to a Python dict.",
        example='{"tags": [{"key": "team", "value": "data"}]}',
    ),
    Option(
        "capacity_provider_strategy",
        "JSON list of capacity providers and weights; exclusive with launch_type.",
        example='[{"capacityProvider": "FARGATE_SPOT", "weight": 3}, '
        '{"capacityProvider": "FARGATE", "weight": 1, "base": 1}]',
    ),
    Option("conn_id", "Airflow AWS connection id (needs the Amazon provider); empty uses boto3's chain."),
    Option("endpoint_url", "An ECS endpoint other than AWS's, e.g. farflow's local endpoint."),
    Option(
        "check_health_on_startup",
        "Check the cluster and permissions when the scheduler starts, and refuse to start if they fail.",
        type="boolean",
        default="True",
    ),
    Option("run_task_rate", "Sustained RunTask calls per second (AWS: 20).", type="float", default="20"),
    Option("run_task_burst", "RunTask burst size (AWS: 100).", type="integer", default="100"),
    Option(
        "launch_concurrency",
        "RunTask calls in flight at once; enough to reach run_task_rate at the endpoint's latency.",
        type="integer",
        default="16",
    ),
    Option(
        "capacity_retry_seconds",
        "How long a task waits for Fargate or Spot capacity before it fails.",
        type="float",
        default="600",
    ),
    Option(
        "max_relaunches",
        "Relaunches of a task that stopped before its container started (Spot, image pull, ENI).",
        type="integer",
        default="3",
    ),
    Option("poll_interval", "Seconds between DescribeTasks rounds.", type="float", default="2"),
    Option(
        "credentials_log_interval",
        "Seconds between repeated warnings about missing or expired credentials.",
        type="float",
        default="60",
    ),
)

OPTIONS_BY_NAME = {option.name: option for option in OPTIONS}
