"""What each `farflow.toml` table and key means, and the list of keys walked from the dataclasses.

The words here appear twice, in the file `farflow init` writes and in docs/deploy.md, so they are
written once; the keys and defaults come from `farflow.deploy.config`, never restated.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, cast

from farflow.deploy.config import PLACEHOLDER_CIDR, SUBTABLES, DeployConfig
from farflow.deploy.config_rules import (
    BACKUP_DAYS,
    DATABASE_PORTS,
    LOG_RETENTION_DAYS,
    MAX_NAT_GATEWAYS,
    NAME_MAX,
    STORAGE_GB,
)
from farflow.deploy.subnet_plan import VPC_PREFIXES
from farflow.spec.components import TABLE

FILE_NAME = "farflow.toml"
# Tables of another program's keys (Airflow's options): not walked as farflow keys, described on their own.
FREE_TABLES = frozenset({"airflow.options", "permissions"})


def _span(bounds: tuple[int, int]) -> str:
    return f"{bounds[0]}-{bounds[1]}"


# The words of the tables and keys of farflow's own; each long-running component's `[airflow.<table>]`
# and its `count` take theirs from its row of farflow.spec.components.TABLE (`table_help`, `key_help`).
TABLE_HELP: dict[str, str] = {
    "project": "What the stack is called and where it goes.",
    "network": "The VPC: two Availability Zones, public and private subnets.",
    "database": "The metadata database: RDS for PostgreSQL. The master password is generated and kept "
    "in Secrets Manager.",
    "airflow": "Fargate sizes (cpu units, memory MiB) of Airflow's task definition and services, how many "
    "api-servers and schedulers run, and where connections and variables are kept.",
    "logs": "CloudWatch Logs of the services and tasks.",
    "worker": "The worker pool for tasks sent to the 'worker' executor alias; scales on CPU.",
    "alarms": "Alarms on the stack (scheduler heartbeat, rolled-back deployments, lost task events, tasks "
    "queued too long, the database) go to one SNS topic; `farflow deploy` prints the dashboard's URL.",
    "load_balancer": "The Application Load Balancer in front of the api-server: who may reach the UI, "
    "HTTPS, and the name the UI has.",
}

KEY_HELP: dict[str, str] = {
    "project.name": "Prefix of every name the stack creates (stack, cluster, task definitions, log groups): "
    f"a letter, then letters, digits and single hyphens; at most {NAME_MAX} characters.",
    "project.region": "AWS Region the stack is for; empty: AWS_REGION or your profile's (synth then needs AWS_REGION).",
    "project.account": "12-digit AWS account id; empty: the account of your credentials. When set, "
    "deploy refuses other accounts' credentials.",
    "network.cidr": f"The VPC's IPv4 block, /{VPC_PREFIXES[0]} to /{VPC_PREFIXES[1]}; subnets are "
    "sized from it (a /16: public /22, private /20, database /24).",
    "network.nat_gateways": f"0 to {MAX_NAT_GATEWAYS}. 0 saves the NAT cost but runs tasks in public "
    "subnets with public IPs; 2 keeps outbound traffic up when one Availability Zone fails.",
    "database.name": "Database name: a letter, then letters, digits, underscores.",
    "database.port": f"Port PostgreSQL listens on, {_span(DATABASE_PORTS)}.",
    "database.username": "Master user name: a letter, then letters, digits, underscores.",
    "database.instance_class": 'RDS instance class, e.g. "t4g.small" or "r6g.large" ("db." optional).',
    "database.allocated_storage_gb": f"Storage in GiB, {_span(STORAGE_GB)}.",
    "database.backup_retention_days": f"Days of automated backups, {_span(BACKUP_DAYS)}; 0: none.",
    "database.multi_az": "A standby in a second Availability Zone (about twice the instance cost).",
    "database.deletion_protection": "Refuse to delete the database; set false and deploy before "
    "`farflow destroy`.",
    "airflow.task_cpu": "CPU units of the task definition every Airflow task runs in (1024 = 1 vCPU), "
    "unless its executor_config says otherwise.",
    "airflow.task_memory": "Memory (MiB) of that task definition; a Fargate size together with task_cpu.",
    "airflow.secrets": '"secrets-manager": Airflow looks up connections and variables in AWS Secrets Manager '
    "under the stack's prefix (<name>/connections/, <name>/variables/) before its database. Empty: the "
    "database only.",
    "logs.retention_days": f"Days CloudWatch keeps logs: one of {', '.join(map(str, LOG_RETENTION_DAYS))}.",
    "worker.enabled": "Run the Edge worker pool behind the 'worker' executor alias (the sample DAG uses it). "
    "Its workers hold Airflow's JWT secret, which can sign any user's token: only trusted code may run on "
    'them. false: no pool, and a task with executor="worker" fails to parse, naming the executor.',
    "worker.min_count": "Fewest workers, at least 1 (CPU scaling needs one running to measure).",
    "worker.max_count": "Most workers, at least min_count.",
    "worker.cpu_target_percent": "Average CPU (1-100) the pool scales to keep.",
    "worker.cpu": "CPU units of each worker.",
    "worker.memory": "Memory (MiB) of each worker; a Fargate size together with cpu.",
    "load_balancer.allowed_cidrs": "IPv4 blocks that may reach the UI. REPLACE the default: "
    f"{PLACEHOLDER_CIDR} is a documentation address that reaches nothing, and `farflow deploy` refuses it. "
    "Put your own address as /32 (`curl -s https://checkip.amazonaws.com` prints it) or your office's "
    "block. Without a certificate, a block open to the whole internet is refused.",
    "load_balancer.certificate_arn": "ACM certificate ARN in the stack's Region: turns on HTTPS (443) and "
    "redirects HTTP to it; needs domain_name. Empty: HTTP only.",
    "load_balancer.domain_name": 'The name users open the UI at, e.g. "airflow.example.com": the UI URL, '
    "Airflow's base_url and its login redirects use it. Required with certificate_arn (the certificate "
    "must cover it). Empty: the load balancer's own DNS name.",
    "load_balancer.hosted_zone_id": 'Route 53 public hosted zone holding domain_name, e.g. "Z0123456789ABC": '
    "the stack adds the alias record to the load balancer. Empty: point domain_name at the load balancer "
    "yourself (a CNAME).",
    "alarms.email": 'An e-mail address the alarms are sent to, e.g. "ops@example.com" (AWS mails it a link '
    "to confirm first). Empty: subscribe to the topic yourself.",
    "load_balancer.hosted_zone_name": 'That hosted zone\'s name, e.g. "example.com".',
}

OPTIONS_HELP = (
    "Airflow's own options, as section.option = value, checked against the installed Airflow's list "
    "(`airflow config list --defaults`) and set on the containers that read them; options farflow sets "
    "itself are refused. docs/deploy.md says which container reads which section."
)

PERMISSIONS_HELP = (
    "What the project's own code may do on AWS, beyond what farflow grants: IAM statements (effect "
    '"Allow" unless effect = "Deny"; conditions as IAM\'s Condition block) and managed policy ARNs for the '
    "role Airflow tasks run as (airflow_task), the Edge workers' (worker) and each tasks/<folder>'s "
    "(tasks.<folder>). farflow's own roles take none. Actions are checked against IAM's list offline; "
    "`farflow local up` applies the statements too, managed policies only on AWS. For example:"
)
PERMISSIONS_EXAMPLE = """[permissions.airflow_task]
statements = [
  { actions = ["s3:GetObject", "s3:ListBucket"], resources = ["arn:aws:s3:::my-data", "arn:aws:s3:::my-data/*"] },
]
[permissions.tasks.number_task]
managed_policies = ["arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"]
statements = [{ actions = ["s3:PutObject"], resources = ["arn:aws:s3:::my-data/numbers/*"] }]"""
"""A commented example in the file `farflow init` writes (the sample project calls no AWS service of its
own: the example reads a data bucket from Airflow tasks and writes one from tasks/number_task)."""

SIZE_HELP = {"cpu": "CPU units (1024 = 1 vCPU).", "memory": "Memory (MiB); a Fargate size with cpu."}
"""The keys of every `[airflow.<service>]` table: one Fargate size."""


@dataclass(frozen=True)
class Key:
    """One key of farflow.toml: its table (dotted, as in the header), name, default and meaning."""

    table: str
    name: str
    default: Any
    help: str

    @property
    def label(self) -> str:
        """`[database] port`, as messages and docs name a key."""
        return f"[{self.table}] {self.name}"


def table_help() -> dict[str, str]:
    """Every table's words, each component's `[airflow.<table>]` from its row of the spec's TABLE."""
    return TABLE_HELP | {f"airflow.{running.table}": running.help for running in TABLE.values()}


def key_help() -> dict[str, str]:
    """Every key's own words (a service size's cpu and memory share `SIZE_HELP`), each scaling component's
    `count` from its row of the spec's TABLE."""
    counts = {f"airflow.{row.table}.count": row.count_help for row in TABLE.values() if row.scales}
    return KEY_HELP | counts


def subtable_field(config: Any) -> str | None:
    """The dataclass field that holds sub-tables as a mapping, by name (`config.SUBTABLES`), if any."""
    return next((item.name for item in fields(config) if item.metadata.get(SUBTABLES)), None)


def subtables(config: Any) -> Mapping[str, Any]:
    """The sub-tables a dataclass holds as a mapping, by name; empty if none."""
    name = subtable_field(config)
    return cast("Mapping[str, Any]", getattr(config, name)) if name else {}


def tables(config: Any = None, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted table name, dataclass instance) for every table, a table before its sub-tables."""
    config = DeployConfig() if config is None else config
    named = [
        (item.name, getattr(config, item.name)) for item in fields(config) if not item.metadata.get(SUBTABLES)
    ]
    for key, value in [*named, *subtables(config).items()]:
        name = f"{prefix}{key}"
        if is_dataclass(value) and name not in FREE_TABLES:
            yield name, value
            yield from tables(value, f"{name}.")


def keys(config: DeployConfig | None = None) -> Iterator[Key]:
    """Every scalar or list key with its value in `config` (the defaults if None), in file order."""
    for table, value in tables(config):
        for item in fields(value):
            default = getattr(value, item.name)
            scalar = not is_dataclass(default) and not item.metadata.get(SUBTABLES)
            if scalar and f"{table}.{item.name}" not in FREE_TABLES:
                yield Key(table, item.name, default, help_for(table, item.name))


def help_for(table: str, name: str) -> str:
    """The meaning of one key: its own help, or that of a service size's cpu/memory."""
    return key_help().get(f"{table}.{name}") or SIZE_HELP[name]
