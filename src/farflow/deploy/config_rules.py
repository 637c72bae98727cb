"""What AWS accepts for each `farflow.toml` value, checked before synth so a bad value fails here, by name.

CloudFormation would reject most of these mid-deploy, minutes in and with a terse message; some (a
Fargate size) only when the first task starts. Every check is a pure function of the typed config and
returns sentences naming the key, the value and the fix; `farflow.deploy.config_file` adds the file.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import replace
from typing import Any

from farflow.deploy.config import (
    SECRETS_BACKENDS,
    AirflowConfig,
    DatabaseConfig,
    DeployConfig,
    LoadBalancerConfig,
    NetworkConfig,
    ProjectConfig,
    ScaledService,
    WorkerConfig,
)
from farflow.deploy.config_permissions import account_problems, worker_problems
from farflow.deploy.connection_budget import connection_problems
from farflow.deploy.subnet_plan import plan_problem
from farflow.spec.fargate_sizes import fargate_size_problem, nearest_fargate_size

# fmt: off
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)
# fmt: on
"""The retention periods CloudWatch Logs accepts (PutRetentionPolicy), in days."""

NAME_MAX = 20
"""Leaves room for suffixes such as '-api-server' within the 32 characters of load balancer names."""

DATABASE_PORTS = (1150, 65535)
STORAGE_GB = (20, 65536)
BACKUP_DAYS = (0, 35)
# api-server and scheduler tasks: at least one; more than a few schedulers mostly contend for database rows.
SERVICE_COUNTS = (1, 10)
MAX_NAT_GATEWAYS = 2

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,62}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
_ACCOUNT = re.compile(r"\d{12}")
_INSTANCE_CLASS = re.compile(
    r"(db\.)?[a-z][a-z0-9-]*\d[a-z0-9-]*\.(nano|micro|small|medium|\d*x?large|metal(-\d+xl)?)"
)
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"({_LABEL}\.)+[a-z]{{2,63}}")
_ZONE_ID = re.compile(r"[A-Z0-9]{1,32}")
DOMAIN_MAX = 253
_CERTIFICATE = re.compile(r"arn:aws[a-z-]*:acm:(?P<region>[a-z0-9-]+):\d{12}:certificate/[A-Za-z0-9-]+")


DOCUMENTATION_BLOCKS = tuple(
    ipaddress.ip_network(block)
    for block in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)
"""Addresses reserved for documentation (RFC 5737, RFC 3849): no client on the internet has one."""

YOUR_ADDRESS = "<your address>/32"
CHECK_IP = "`curl -s https://checkip.amazonaws.com`"


def show(value: Any) -> str:
    """A value as it is written in TOML, so a message quotes exactly what to change."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(show(item) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)


def at(table: str, key: str, value: Any) -> str:
    return f"[{table}] {key} = {show(value)}"


def problems(config: DeployConfig) -> list[str]:
    """Every value AWS would refuse, each as a sentence that names its fix; empty if all is well."""
    database, airflow = _database(config.database), _airflow(config.airflow)
    # The connection budget adds up counts and the class: judged only once both are valid on their own.
    budget = [] if database or airflow else connection_problems(config)
    return [
        *_project(config.project),
        *_network(config.network),
        *database,
        *budget,
        *airflow,
        *_logs(config.logs.retention_days),
        *_worker(config.worker),
        *_load_balancer(config.load_balancer, config.project.region),
        *_alarms(config.alarms.email),
        *worker_problems(config.permissions, config.worker.enabled),
        *account_problems(config.permissions, config.project.region, config.project.account),
    ]


def normalized(config: DeployConfig) -> DeployConfig:
    """One spelling of each value for the constructs: instance class without 'db.', CIDRs with a prefix."""
    database = replace(config.database, instance_class=config.database.instance_class.removeprefix("db."))
    cidrs = tuple(str(ipaddress.ip_network(cidr)) for cidr in config.load_balancer.allowed_cidrs)
    return replace(
        config, database=database, load_balancer=replace(config.load_balancer, allowed_cidrs=cidrs)
    )


def name_problem(name: str) -> str | None:
    """None for a usable name prefix; else why not (ECS, RDS and load balancer naming rules)."""
    if not _NAME.fullmatch(name):
        reason = "must start with a letter and hold only letters, digits and hyphens"
    elif len(name) > NAME_MAX:
        reason = (
            f"is {len(name)} characters; at most {NAME_MAX} keep names derived from it, such as "
            f"'{name}-api-server', within AWS's 32-character limit for load balancers and target groups"
        )
    elif name.endswith("-") or "--" in name:
        reason = "must not end with a hyphen or hold two in a row (RDS identifiers may not)"
    else:
        return None
    return f"{reason}; for example name = {show(suggested_name(name))}."


def suggested_name(name: str) -> str:
    """The closest valid name: other characters become hyphens, then it is trimmed to fit."""
    cleaned = re.sub(r"-+", "-", re.sub(r"[^A-Za-z0-9-]", "-", name)).strip("-")
    if not cleaned[:1].isalpha():
        cleaned = f"farflow-{cleaned}" if cleaned else "farflow"
    return cleaned[:NAME_MAX].rstrip("-")


def _project(project: ProjectConfig) -> list[str]:
    found = []
    if problem := name_problem(project.name):
        found.append(f"{at('project', 'name', project.name)}: the name {problem}")
    if project.region and not _REGION.fullmatch(project.region):
        found.append(f"{at('project', 'region', project.region)}: {region_problem(project.region)}")
    if project.account and not _ACCOUNT.fullmatch(project.account):
        found.append(
            f"{at('project', 'account', project.account)}: an AWS account id is 12 digits, such as "
            '"123456789012" (`aws sts get-caller-identity` shows yours); or leave it empty.'
        )
    return found


def region_problem(region: str) -> str:
    """Why `region` is not a Region code, with the likely intended one when it can be guessed."""
    guess = region.strip().lower()
    if not _REGION.fullmatch(guess) and _REGION.fullmatch(guess[:-1]):
        guess = guess[:-1]  # an Availability Zone such as us-east-1a
    hint = f'did you mean "{guess}"? ' if _REGION.fullmatch(guess) else ""
    return (
        f"not an AWS Region code; {hint}write it like us-east-1 or eu-west-2, or leave it empty to use "
        "AWS_REGION or your profile's region."
    )


def _network(network: NetworkConfig) -> list[str]:
    found = []
    if problem := cidr_problem(network.cidr):
        found.append(f"{at('network', 'cidr', network.cidr)}: this {problem}")
    elif problem := plan_problem(ipaddress.ip_network(network.cidr).prefixlen):
        found.append(f'{at("network", "cidr", network.cidr)}: {problem}; for example cidr = "10.0.0.0/16".')
    if not 0 <= network.nat_gateways <= MAX_NAT_GATEWAYS:
        found.append(
            f"{at('network', 'nat_gateways', network.nat_gateways)}: give 0 (tasks in public subnets with "
            "public IPs), 1 (one shared NAT gateway) or 2 (one per Availability Zone)."
        )
    return found


def cidr_problem(cidr: str) -> str | None:
    """None for an IPv4 network in CIDR notation; else what is wrong and the value to write instead."""
    try:
        network = ipaddress.ip_network(cidr)
    except ValueError:
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            return 'is not an IPv4 CIDR block; write it like "10.0.0.0/16" (address/prefix length).'
        if network.version == 4:
            return (
                f'has bits set after the /{network.prefixlen} prefix; the block it falls in is "{network}".'
            )
    if network.version != 4:
        return "is IPv6; the VPC and load balancer are IPv4-only, so give an IPv4 block."
    return None


def _database(database: DatabaseConfig) -> list[str]:
    found = []
    for key in ("name", "username"):
        value = getattr(database, key)
        if not _IDENTIFIER.fullmatch(value):
            found.append(
                f"{at('database', key, value)}: PostgreSQL needs a letter, then letters, digits or "
                f"underscores, at most 63 characters; for example {key} = {show(getattr(DatabaseConfig(), key))}."
            )
    found += _in_range("database", "port", database.port, DATABASE_PORTS, "RDS for PostgreSQL's ports")
    if not _INSTANCE_CLASS.fullmatch(database.instance_class):
        found.append(
            f"{at('database', 'instance_class', database.instance_class)}: not an RDS instance class; write "
            'it like "t4g.small" or "db.r6g.large" (see https://aws.amazon.com/rds/instance-types/).'
        )
    found += _in_range("database", "allocated_storage_gb", database.allocated_storage_gb, STORAGE_GB, "GiB")
    backups = database.backup_retention_days
    found += _in_range("database", "backup_retention_days", backups, BACKUP_DAYS, "days; 0: no backups")
    return found


def _in_range(table: str, key: str, value: int, bounds: tuple[int, int], unit: str) -> list[str]:
    low, high = bounds
    if low <= value <= high:
        return []
    return [f"{at(table, key, value)}: out of range; give {low} to {high} ({unit})."]


def _airflow(airflow: AirflowConfig) -> list[str]:
    found = _size_problems("airflow", "task_cpu", "task_memory", airflow.task_cpu, airflow.task_memory)
    if airflow.secrets not in SECRETS_BACKENDS:
        found.append(
            f'{at("airflow", "secrets", airflow.secrets)}: give "secrets-manager" (connections and variables '
            'in AWS Secrets Manager) or leave it empty ("") for the metadata database only.'
        )
    for service, size in airflow.services.items():
        if isinstance(size, ScaledService):
            found += _in_range(
                f"airflow.{service}", "count", size.count, SERVICE_COUNTS, "tasks of the service"
            )
    for service, size in airflow.services.items():
        found += _size_problems(f"airflow.{service}", "cpu", "memory", size.cpu, size.memory)
    return found


def _size_problems(table: str, cpu_key: str, memory_key: str, cpu: int, memory: int) -> list[str]:
    """A Fargate size problem, worded the executor's way, with the two lines to write instead."""
    problem = fargate_size_problem(cpu, memory)
    if problem is None:
        return []
    near_cpu, near_memory = nearest_fargate_size(cpu, memory)
    return [
        f"[{table}] {cpu_key} = {cpu}, {memory_key} = {memory}: {problem} "
        f"Set {cpu_key} = {near_cpu} and {memory_key} = {near_memory}."
    ]


def nearest_retention(days: int) -> int:
    """The allowed retention closest to `days`; on a tie the longer, so no log goes sooner than asked."""
    return min(LOG_RETENTION_DAYS, key=lambda allowed: (abs(allowed - days), -allowed))


def _logs(days: int) -> list[str]:
    if days in LOG_RETENTION_DAYS:
        return []
    allowed = ", ".join(str(day) for day in LOG_RETENTION_DAYS)
    return [
        f"{at('logs', 'retention_days', days)}: CloudWatch Logs keeps logs for one of {allowed} days; "
        f"the nearest is retention_days = {nearest_retention(days)}."
    ]


def _worker(worker: WorkerConfig) -> list[str]:
    found = []
    if worker.min_count < 1:
        found.append(
            f"{at('worker', 'min_count', worker.min_count)}: give at least 1; the pool scales on its "
            "workers' CPU, so with none running it would never scale up."
        )
    if worker.max_count < worker.min_count:
        found.append(
            f"[worker] min_count = {worker.min_count}, max_count = {worker.max_count}: max_count must be at "
            f"least min_count; set max_count = {worker.min_count} or lower min_count."
        )
    found += _in_range("worker", "cpu_target_percent", worker.cpu_target_percent, (1, 100), "percent")
    found += _size_problems("worker", "cpu", "memory", worker.cpu, worker.memory)
    return found


def _load_balancer(balancer: LoadBalancerConfig, region: str) -> list[str]:
    return [
        *_certificate(balancer.certificate_arn, region),
        *_domain(balancer),
        *_allowed_cidrs(balancer),
    ]


def _certificate(arn: str, region: str) -> list[str]:
    if arn and not (match := _CERTIFICATE.fullmatch(arn)):
        return [
            f"{at('load_balancer', 'certificate_arn', arn)}: not an ACM certificate ARN; it looks like "
            '"arn:aws:acm:us-east-1:123456789012:certificate/<id>" (`aws acm list-certificates` lists '
            "yours), or leave it empty for HTTP only."
        ]
    if arn and region and match and match["region"] != region:
        return [
            f"{at('load_balancer', 'certificate_arn', arn)}: the certificate is in {match['region']}, but the "
            f"stack deploys to {region} ([project] region); a load balancer can only use a certificate from "
            f"its own Region, so request or import one in {region}."
        ]
    return []


def domain_problem(name: str) -> str | None:
    """None for a DNS name such as airflow.example.com; else what is wrong and the name to write."""
    if _DOMAIN.fullmatch(name) and len(name) <= DOMAIN_MAX:
        return None
    guess = re.sub(r"^[a-z]+://", "", name.strip().lower()).split("/", 1)[0].split(":", 1)[0].rstrip(".")
    hint = f"; did you mean {show(guess)}?" if guess != name and _DOMAIN.fullmatch(guess) else "."
    return (
        f"not a DNS name{hint} Write the bare name, lowercase letters, digits, hyphens and dots, like "
        '"airflow.example.com" (no scheme, port, path or trailing dot).'
    )


def _domain(balancer: LoadBalancerConfig) -> list[str]:
    found = []
    domain, zone_id, zone_name = balancer.domain_name, balancer.hosted_zone_id, balancer.hosted_zone_name
    if domain and (problem := domain_problem(domain)):
        found.append(f"{at('load_balancer', 'domain_name', domain)}: {problem}")
    if balancer.certificate_arn and not domain:
        found.append(
            "[load_balancer] certificate_arn is set but domain_name is empty: users would open the UI at the "
            "load balancer's own name (*.elb.amazonaws.com), which your certificate does not cover, and "
            'Airflow\'s login redirects there. Set domain_name = "airflow.example.com", the name the '
            "certificate is for (and hosted_zone_id and hosted_zone_name if Route 53 holds its zone)."
        )
    if bool(zone_id) != bool(zone_name):
        given, missing = (
            ("hosted_zone_id", "hosted_zone_name") if zone_id else ("hosted_zone_name", "hosted_zone_id")
        )
        found.append(
            f"[load_balancer] {given} is set but {missing} is empty: give both (`aws route53 "
            "list-hosted-zones` lists each zone's Id and Name), or neither to make the DNS record yourself."
        )
    if zone_id and not _ZONE_ID.fullmatch(zone_id):
        bare = zone_id.rsplit("/", 1)[-1]
        hint = f"; write hosted_zone_id = {show(bare)}" if _ZONE_ID.fullmatch(bare) else ""
        found.append(
            f"{at('load_balancer', 'hosted_zone_id', zone_id)}: not a Route 53 hosted zone id, which is "
            f'uppercase letters and digits like "Z0123456789ABCDEFGHIJ"{hint}.'
        )
    if zone_name and (problem := domain_problem(zone_name)):
        found.append(f"{at('load_balancer', 'hosted_zone_name', zone_name)}: {problem}")
    elif zone_name and not domain:
        found.append(
            "[load_balancer] hosted_zone_name is set but domain_name is empty: set domain_name to the name "
            f'in {zone_name} the UI should have, e.g. domain_name = "airflow.{zone_name}".'
        )
    elif zone_name and domain and not (domain == zone_name or domain.endswith(f".{zone_name}")):
        found.append(
            f"[load_balancer] domain_name = {show(domain)}, hosted_zone_name = {show(zone_name)}: the name "
            f"is not in that zone, so the zone cannot hold its record; give the zone that holds it, or a "
            f'name in this one such as "airflow.{zone_name}".'
        )
    return found


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def _alarms(email: str) -> list[str]:
    if not email or _EMAIL.fullmatch(email):
        return []
    return [
        f"{at('alarms', 'email', email)}: not an e-mail address; write one address like "
        '"ops@example.com", or leave it empty and subscribe to the alarms\' SNS topic yourself.'
    ]


def _parsed(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The network `cidr` falls in, IPv4 or IPv6, or None if it is none (cidr_problem says why)."""
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None


def world_open(cidrs: tuple[str, ...]) -> bool:
    """True if the blocks admit every address, IPv4 or IPv6 (a /0, or IPv4 blocks that add up to all)."""
    networks = [network for network in map(_parsed, cidrs) if network is not None]
    if any(network.prefixlen == 0 for network in networks):
        return True
    ipv4 = [network for network in networks if isinstance(network, ipaddress.IPv4Network)]
    return ipaddress.IPv4Network("0.0.0.0/0") in ipaddress.collapse_addresses(ipv4)


def unreachable_cidrs(cidrs: tuple[str, ...]) -> list[str]:
    """The blocks reserved for documentation (RFC 5737, RFC 3849), like the placeholder `farflow init` writes.

    No client has such an address, so a UI allowed only from them is one nobody can open.
    """
    found = []
    for cidr in cidrs:
        network = _parsed(cidr)
        if network is not None and any(
            network.version == block.version and network.subnet_of(block)  # type: ignore[arg-type]
            for block in DOCUMENTATION_BLOCKS
        ):
            found.append(cidr)
    return found


def _allowed_cidrs(balancer: LoadBalancerConfig) -> list[str]:
    cidrs = balancer.allowed_cidrs
    found = [
        f"[load_balancer] allowed_cidrs: {show(cidr)} {problem}"
        for cidr in cidrs
        if (problem := cidr_problem(cidr))
    ]
    if not cidrs:
        found.append(
            f"{at('load_balancer', 'allowed_cidrs', cidrs)}: nobody could reach the UI; give at least one "
            f"block, e.g. allowed_cidrs = [{show(YOUR_ADDRESS)}] ({CHECK_IP} prints your address)."
        )
    elif not balancer.certificate_arn and world_open(cidrs):
        found.append(
            f"{at('load_balancer', 'allowed_cidrs', cidrs)}: opens Airflow's login to the whole internet over "
            "plain HTTP (there is no certificate_arn), so passwords and session cookies would cross it in "
            f"cleartext. Allow only your own address as /32, allowed_cidrs = [{show(YOUR_ADDRESS)}] "
            f"({CHECK_IP} prints it), or your office's block; or set certificate_arn and domain_name for HTTPS."
        )
    return found
