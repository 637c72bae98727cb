"""The deploy's settings, as typed data: one dataclass per `farflow.toml` table, defaults written here once.

`farflow init` writes these defaults into `farflow.toml`; the loader (`farflow.deploy.config_file`) checks
a file against them; the CDK constructs read only these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from farflow.spec.airflow_options import AirflowOption
from farflow.spec.components import TABLE, Component, Running
from farflow.spec.names import Names
from farflow.spec.project_permissions import ProjectPermissions

# The metadata key marking a dataclass field as a mapping of sub-tables (name -> dataclass): farflow.toml
# writes each as `[<table>.<name>]`.
SUBTABLES = "farflow.subtables"


@dataclass(frozen=True)
class ProjectConfig:
    # Prefix of every name the stack creates (cluster, task definition families, log groups).
    name: str = "farflow"
    # The AWS Region the stack is for (synth needs it: the load balancer log bucket names its log
    # delivery account); empty: AWS_REGION or the profile's. The account: empty, the credentials'.
    region: str = "us-east-1"
    account: str = ""


@dataclass(frozen=True)
class NetworkConfig:
    cidr: str = "10.0.0.0/16"
    # 0: no NAT gateway; tasks then run in public subnets with public IPs (see docs/deploy.md).
    nat_gateways: int = 1


@dataclass(frozen=True)
class DatabaseConfig:
    name: str = "farflow"
    port: int = 5432
    username: str = "airflow"
    instance_class: str = "t4g.small"
    allocated_storage_gb: int = 25
    backup_retention_days: int = 30
    multi_az: bool = False
    deletion_protection: bool = True


@dataclass(frozen=True)
class ServiceSize:
    cpu: int
    memory: int


@dataclass(frozen=True)
class ScaledService(ServiceSize):
    # How many tasks the service runs (api-server and scheduler: Airflow 3 runs several of each).
    count: int = 1


def default_size(running: Running) -> ServiceSize:
    """A component's `[airflow.<table>]` at its defaults: a count only if it scales."""
    if running.scales:
        return ScaledService(running.cpu, running.memory)
    return ServiceSize(running.cpu, running.memory)


def default_sizes() -> dict[str, ServiceSize]:
    """Every long-running component's `[airflow.<table>]` (farflow.spec.components.TABLE), by table name."""
    return {running.table: default_size(running) for running in TABLE.values()}


# `[airflow] secrets`: where Airflow looks up connections and variables before its database.
SECRETS_BACKENDS = ("", "secrets-manager")


@dataclass(frozen=True)
class AirflowConfig:
    # The task definition every Airflow task runs in: `[ecs_fargate]` size for tasks without executor_config.
    task_cpu: int = 2048
    task_memory: int = 4096
    # "secrets-manager": the Amazon provider's Secrets Manager backend, under the stack's own prefix.
    secrets: str = ""
    # `[airflow.options]`: Airflow's own options, checked against the installed Airflow's list.
    options: tuple[AirflowOption, ...] = ()
    # `[airflow.<table>]`, one table per long-running component: its Fargate size (and count). These are
    # sub-tables of `[airflow]` in farflow.toml (`SUBTABLES`), not a table of their own.
    services: dict[str, ServiceSize] = field(default_factory=default_sizes, metadata={SUBTABLES: True})

    def size(self, component: Component) -> ServiceSize:
        """The component's size (and count) as farflow.toml gives it."""
        return self.services[TABLE[component].table]

    def with_sizes(self, **sizes: ServiceSize) -> AirflowConfig:
        """This config with some `[airflow.<table>]` tables replaced, by table name."""
        unknown = set(sizes) - set(self.services)
        if unknown:
            raise ValueError(f"No [airflow.<table>] named {', '.join(sorted(unknown))}.")
        return replace(self, services={**self.services, **sizes})


@dataclass(frozen=True)
class LogsConfig:
    retention_days: int = 30


@dataclass(frozen=True)
class WorkerConfig:
    # The Edge worker pool behind the `worker` executor alias (the sample DAG uses it). Its workers hold
    # the JWT secret: they run trusted code only (docs/security.md).
    enabled: bool = True
    min_count: int = 1
    max_count: int = 5
    cpu_target_percent: int = 70
    cpu: int = 1024
    memory: int = 2048


# What `farflow init` writes for `allowed_cidrs`: an address from a block reserved for documentation
# (RFC 5737), so a new project synthesizes, opens nothing, and `farflow deploy` refuses it until the
# user puts their own address there (farflow.deploy.config_rules.unreachable_cidrs).
PLACEHOLDER_CIDR = "192.0.2.1/32"


@dataclass(frozen=True)
class LoadBalancerConfig:
    # Who may reach the UI. The default is a placeholder that reaches nothing; deploy refuses it.
    allowed_cidrs: tuple[str, ...] = (PLACEHOLDER_CIDR,)
    # An ACM certificate ARN turns on HTTPS (443) and redirects HTTP to it; it needs `domain_name`.
    certificate_arn: str = ""
    # The name users open the UI at (the certificate's); empty: the load balancer's own DNS name.
    domain_name: str = ""
    # A Route 53 public hosted zone holding `domain_name`: the stack adds the alias record to the ALB.
    hosted_zone_id: str = ""
    hosted_zone_name: str = ""


@dataclass(frozen=True)
class AlarmsConfig:
    # An address the alarms' SNS topic e-mails (it must confirm the subscription); empty: nobody.
    email: str = ""


@dataclass(frozen=True)
class DeployConfig:
    project: ProjectConfig = field(default_factory=ProjectConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    airflow: AirflowConfig = field(default_factory=AirflowConfig)
    logs: LogsConfig = field(default_factory=LogsConfig)
    worker: WorkerConfig = field(default_factory=WorkerConfig)
    load_balancer: LoadBalancerConfig = field(default_factory=LoadBalancerConfig)
    alarms: AlarmsConfig = field(default_factory=AlarmsConfig)
    # `[permissions]`: what the project's own code may do on AWS (farflow.spec.project_permissions).
    permissions: ProjectPermissions = field(default_factory=ProjectPermissions)


def stack_name(config: DeployConfig) -> str:
    """The CloudFormation stack's name: the project's name, so two projects in one account differ."""
    return Names(config.project.name).prefix
