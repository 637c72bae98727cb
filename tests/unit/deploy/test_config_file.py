"""farflow.toml: the defaults round-trip, and every bad value is refused with the file, key, value and fix."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from farflow.deploy.config import DeployConfig, ScaledService
from farflow.deploy.config_file import DeployConfigError, MissingConfigError, load, parse, render_default
from farflow.deploy.config_keys import FREE_TABLES, key_help, keys, table_help, tables
from farflow.deploy.config_rules import LOG_RETENTION_DAYS, nearest_retention, unreachable_cidrs
from tests.support.deploy import CERTIFICATE


def refused(tmp_path: Path, text: str) -> str:
    """The message load() gives for a project whose farflow.toml is `text`; it always names the file."""
    (tmp_path / "farflow.toml").write_text(text)
    with pytest.raises(DeployConfigError) as caught:
        load(tmp_path)
    message = str(caught.value)
    assert str(tmp_path / "farflow.toml") in message
    return message


def test_the_default_file_loads_as_the_dataclass_defaults(tmp_path: Path) -> None:
    (tmp_path / "farflow.toml").write_text(render_default())
    assert load(tmp_path) == DeployConfig()


def test_the_default_file_holds_the_documented_defaults() -> None:
    text = render_default()
    for line in (
        'name = "farflow"',
        "port = 5432",
        'username = "airflow"',
        'instance_class = "t4g.small"',
        "allocated_storage_gb = 25",
        "backup_retention_days = 30",
        "task_cpu = 2048",
        "task_memory = 4096",
        "retention_days = 30",
        "min_count = 1",
        "max_count = 5",
        "cpu_target_percent = 70",
        "[airflow.api_server]",
    ):
        assert f"\n{line}\n" in text
    assert all(line.startswith("#") or len(line) <= 100 for line in text.splitlines())


def test_every_key_and_table_has_words_and_no_words_are_stale() -> None:
    table_names = {name for name, _ in tables()}
    assert set(table_help()) == table_names
    own_words = {f"{key.table}.{key.name}" for key in keys() if "." not in key.table or key.name == "count"}
    assert set(key_help()) == own_words
    assert all(key.help for key in keys())


def test_an_empty_file_and_a_partial_file_keep_the_defaults() -> None:
    assert parse("") == DeployConfig()
    config = parse("[database]\nport = 6543\n[airflow.scheduler]\ncpu = 2048\nmemory = 4096\n")
    assert config.database.port == 6543
    assert config.database.name == "farflow"
    assert config.airflow.services["scheduler"] == ScaledService(2048, 4096)
    assert config.airflow.services["api_server"] == DeployConfig().airflow.services["api_server"]


def test_values_are_given_one_spelling() -> None:
    config = parse(
        '[database]\ninstance_class = "db.r6g.large"\n'
        '[load_balancer]\nallowed_cidrs = ["203.0.113.7", "198.51.100.0/24"]\n'
    )
    assert config.database.instance_class == "r6g.large"
    assert config.load_balancer.allowed_cidrs == ("203.0.113.7/32", "198.51.100.0/24")


def test_a_missing_file_says_how_to_write_one(tmp_path: Path) -> None:
    with pytest.raises(MissingConfigError) as caught:
        load(tmp_path)
    assert "has no farflow.toml" in str(caught.value)
    assert f"farflow init {tmp_path} --config-only" in str(caught.value)


def test_a_missing_project_is_named(tmp_path: Path) -> None:
    with pytest.raises(MissingConfigError, match="does not exist"):
        load(tmp_path / "nowhere")


def test_a_syntax_error_names_the_line(tmp_path: Path) -> None:
    message = refused(tmp_path, "[database]\nport = \n")
    assert "not valid TOML" in message
    assert "line 2" in message


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    message = refused(tmp_path, "[database]\nport = 1\n[logs]\nretention_days = 2\n")
    assert len(message.splitlines()) == 2


# One case per bad input: (farflow.toml text, the pieces its message must hold).
BAD = {
    "unknown table": (
        "[databse]\nport = 5432\n",
        ["[databse] is not a farflow.toml table", "Did you mean [database]?"],
    ),
    "unknown key": (
        "[database]\nprot = 5432\n",
        ["[database] prot is not a key of [database]", "Did you mean port?"],
    ),
    "key outside a table": ('name = "x"\n', ['name = "x" is outside any table', "it belongs in [project]"]),
    "table given as a value": (
        "[airflow]\napi_server = 5\n",
        ["[airflow] api_server = 5", "[airflow.api_server]"],
    ),
    "string for a number": (
        '[database]\nport = "5432"\n',
        ['[database] port = "5432"', "a whole number", "5432"],
    ),
    "bool for a number": (
        "[network]\nnat_gateways = true\n",
        ["[network] nat_gateways = true", "a whole number"],
    ),
    "decimal for a number": ("[airflow]\ntask_cpu = 2048.0\n", ["[airflow] task_cpu = 2048.0", "decimal"]),
    "number for a bool": ("[database]\nmulti_az = 1\n", ["[database] multi_az = 1", "true or false"]),
    "number for a string": ("[project]\nregion = 1\n", ["[project] region = 1", "a quoted string"]),
    "string for a list": ('[load_balancer]\nallowed_cidrs = "10.0.0.0/8"\n', ["a list of strings"]),
    "list of numbers": ("[load_balancer]\nallowed_cidrs = [1]\n", ["other than strings"]),
    "task size": (
        "[airflow]\ntask_cpu = 2048\ntask_memory = 1024\n",
        [
            "[airflow] task_cpu = 2048, task_memory = 1024",
            "not a Fargate task size",
            "Set task_cpu = 2048 and task_memory = 4096",
        ],
    ),
    "task cpu": (
        "[airflow]\ntask_cpu = 3000\ntask_memory = 8192\n",
        ["cpu must be one of 256, 512", "Set task_cpu = 4096 and task_memory = 8192"],
    ),
    "service size": (
        "[airflow.api_server]\ncpu = 1024\nmemory = 512\n",
        ["[airflow.api_server] cpu = 1024, memory = 512", "Set cpu = 1024 and memory = 2048"],
    ),
    "half a service size": (
        "[airflow.triggerer]\ncpu = 2048\n",
        ["[airflow.triggerer] cpu = 2048, memory = 1024", "Set cpu = 2048 and memory = 4096"],
    ),
    "worker size": (
        "[worker]\ncpu = 256\nmemory = 4096\n",
        ["[worker] cpu = 256, memory = 4096", "Set cpu = 512 and memory = 4096"],
    ),
    "log retention": (
        "[logs]\nretention_days = 10\n",
        ["[logs] retention_days = 10", "1, 3, 5, 7, 14", "nearest is retention_days = 7"],
    ),
    "log retention zero": (
        "[logs]\nretention_days = 0\n",
        ["retention_days = 0", "nearest is retention_days = 1"],
    ),
    "cidr garbage": (
        '[network]\ncidr = "10.0.0/16x"\n',
        ['[network] cidr = "10.0.0/16x"', "not an IPv4 CIDR block", "10.0.0.0/16"],
    ),
    "cidr host bits": (
        '[network]\ncidr = "10.1.2.3/16"\n',
        ["has bits set after the /16 prefix", '"10.1.0.0/16"'],
    ),
    "cidr too big": ('[network]\ncidr = "10.0.0.0/8"\n', ['[network] cidr = "10.0.0.0/8"', "/16 to /20"]),
    "cidr too small": ('[network]\ncidr = "10.0.0.0/28"\n', ["/16 to /20", 'cidr = "10.0.0.0/16"']),
    "cidr below the plan": (
        '[network]\ncidr = "10.0.0.0/21"\nnat_gateways = 1\n',
        ['[network] cidr = "10.0.0.0/21"', "/16 to /20", "database subnets would be /29", "smallest, /28"],
    ),
    "cidr ipv6": ('[network]\ncidr = "fd00::/56"\n', ["is IPv6", "IPv4"]),
    "allowed cidr garbage": (
        '[load_balancer]\nallowed_cidrs = ["0.0.0.0/0", "my office"]\n',
        ['[load_balancer] allowed_cidrs: "my office" is not an IPv4 CIDR block', "whole internet"],
    ),
    "allowed cidr host bits": ('[load_balancer]\nallowed_cidrs = ["203.0.113.9/24"]\n', ['"203.0.113.0/24"']),
    "allowed cidrs empty": (
        "[load_balancer]\nallowed_cidrs = []\n",
        ["allowed_cidrs = []", "nobody could reach the UI"],
    ),
    "open to the internet over http": (
        '[load_balancer]\nallowed_cidrs = ["0.0.0.0/0"]\n',
        ['[load_balancer] allowed_cidrs = ["0.0.0.0/0"]', "plain HTTP", '["<your address>/32"]', "checkip"],
    ),
    "open to the ipv6 internet over http": (
        '[load_balancer]\nallowed_cidrs = ["::/0"]\n',
        ['[load_balancer] allowed_cidrs = ["::/0"]', "whole internet", '["<your address>/32"]'],
    ),
    "open in two halves": (
        '[load_balancer]\nallowed_cidrs = ["0.0.0.0/1", "128.0.0.0/1"]\n',
        ["whole internet", "certificate_arn and domain_name"],
    ),
    "certificate without a domain": (
        f'[project]\nregion = "eu-west-1"\n[load_balancer]\ncertificate_arn = "{CERTIFICATE}"\n',
        ["certificate_arn is set but domain_name is empty", 'domain_name = "airflow.example.com"'],
    ),
    "domain with a scheme": (
        '[load_balancer]\ndomain_name = "https://Airflow.Example.com/"\n',
        ['domain_name = "https://Airflow.Example.com/"', 'did you mean "airflow.example.com"?'],
    ),
    "domain with a trailing dot": ('[load_balancer]\ndomain_name = "a.example.com."\n', ['"a.example.com"?']),
    "zone id without its name": (
        '[load_balancer]\ndomain_name = "a.example.com"\nhosted_zone_id = "Z0123"\n',
        ["hosted_zone_id is set but hosted_zone_name is empty", "aws route53 list-hosted-zones"],
    ),
    "zone id as a path": (
        '[load_balancer]\ndomain_name = "a.example.com"\nhosted_zone_id = "/hostedzone/Z0123"\n'
        'hosted_zone_name = "example.com"\n',
        ['hosted_zone_id = "/hostedzone/Z0123"', 'write hosted_zone_id = "Z0123"'],
    ),
    "domain outside the zone": (
        '[load_balancer]\ndomain_name = "airflow.example.org"\nhosted_zone_id = "Z0123"\n'
        'hosted_zone_name = "example.com"\n',
        ["is not in that zone", '"airflow.example.com"'],
    ),
    "zone without a domain": (
        '[load_balancer]\nhosted_zone_id = "Z0123"\nhosted_zone_name = "example.com"\n',
        ["domain_name is empty", 'domain_name = "airflow.example.com"'],
    ),
    "database port low": ("[database]\nport = 80\n", ["[database] port = 80", "1150 to 65535"]),
    "database port high": ("[database]\nport = 70000\n", ["[database] port = 70000", "1150 to 65535"]),
    "storage": ("[database]\nallocated_storage_gb = 5\n", ["allocated_storage_gb = 5", "20 to 65536"]),
    "backups": ("[database]\nbackup_retention_days = 36\n", ["backup_retention_days = 36", "0 to 35"]),
    "database name": ('[database]\nname = "my-db"\n', ['[database] name = "my-db"', 'name = "farflow"']),
    "database user": (
        '[database]\nusername = "1admin"\n',
        ['[database] username = "1admin"', 'username = "airflow"'],
    ),
    "worker min above max": (
        "[worker]\nmin_count = 6\n",
        ["[worker] min_count = 6, max_count = 5", "set max_count = 6"],
    ),
    "worker min zero": ("[worker]\nmin_count = 0\n", ["[worker] min_count = 0", "at least 1"]),
    "cpu target zero": ("[worker]\ncpu_target_percent = 0\n", ["cpu_target_percent = 0", "1 to 100"]),
    "cpu target high": ("[worker]\ncpu_target_percent = 101\n", ["cpu_target_percent = 101", "1 to 100"]),
    "nat negative": ("[network]\nnat_gateways = -1\n", ["[network] nat_gateways = -1", "give 0"]),
    "nat three": ("[network]\nnat_gateways = 3\n", ["nat_gateways = 3", "2 (one per Availability Zone)"]),
    "name characters": (
        '[project]\nname = "my_stack"\n',
        ['[project] name = "my_stack"', 'name = "my-stack"'],
    ),
    "name digit first": ('[project]\nname = "1stack"\n', ["start with a letter", 'name = "farflow-1stack"']),
    "name too long": (
        '[project]\nname = "a-very-long-stack-name-indeed"\n',
        ["is 29 characters; at most 20", 'name = "a-very-long-stack-na"'],
    ),
    "name hyphens": ('[project]\nname = "my--stack-"\n', ["two in a row", 'name = "my-stack"']),
    "instance class": ('[database]\ninstance_class = "small"\n', ['instance_class = "small"', '"t4g.small"']),
    "instance class case": ('[database]\ninstance_class = "db.T4G.Small"\n', ["not an RDS instance class"]),
    "certificate arn": (
        '[load_balancer]\ncertificate_arn = "arn:aws:iam::123456789012:server-certificate/x"\n',
        ["not an ACM certificate ARN", "aws acm list-certificates"],
    ),
    "certificate region": (
        '[project]\nregion = "eu-west-1"\n[load_balancer]\n'
        'certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/1f0a-42"\n',
        ["the certificate is in us-east-1", "deploys to eu-west-1", "request or import one in eu-west-1"],
    ),
    "region": (
        '[project]\nregion = "Virginia"\n',
        ['[project] region = "Virginia"', "us-east-1 or eu-west-2"],
    ),
    "region is a zone": ('[project]\nregion = "us-east-1a"\n', ['did you mean "us-east-1"?']),
    "region in capitals": ('[project]\nregion = "EU-WEST-1"\n', ['did you mean "eu-west-1"?']),
    "account": (
        '[project]\naccount = "1234"\n',
        ['[project] account = "1234"', "12 digits", "aws sts get-caller-identity"],
    ),
}


@pytest.mark.parametrize(("text", "pieces"), list(BAD.values()), ids=list(BAD))
def test_bad_input_is_refused_by_name(tmp_path: Path, text: str, pieces: list[str]) -> None:
    message = refused(tmp_path, text)
    for piece in pieces:
        assert piece in message


def test_good_unusual_values_are_accepted() -> None:
    config = parse(
        '[project]\nname = "Data-Team2"\nregion = "us-gov-west-1"\naccount = "123456789012"\n'
        '[network]\ncidr = "172.20.0.0/20"\nnat_gateways = 0\n'
        '[database]\ninstance_class = "m7g.2xlarge"\nport = 15432\nbackup_retention_days = 0\n'
        '[load_balancer]\ncertificate_arn = "arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/ab-12"\n'
        'domain_name = "example.com"\nhosted_zone_id = "Z0123"\nhosted_zone_name = "example.com"\n'
        'allowed_cidrs = ["0.0.0.0/0"]\n'
        "[worker]\nmin_count = 2\nmax_count = 2\ncpu_target_percent = 100\n"
        "[logs]\nretention_days = 3653\n"
    )
    assert config.project.name == "Data-Team2"
    assert config.network.nat_gateways == 0
    assert config.database.instance_class == "m7g.2xlarge"
    # Open to the internet is allowed behind HTTPS; the UI at the zone's apex.
    assert config.load_balancer.allowed_cidrs == ("0.0.0.0/0",)
    assert config.load_balancer.domain_name == "example.com"


def test_nearest_retention_prefers_keeping_logs_longer_on_a_tie() -> None:
    assert nearest_retention(2) == 3
    assert nearest_retention(4000) == 3653
    assert all(nearest_retention(days) == days for days in LOG_RETENTION_DAYS)


def test_every_table_is_a_dataclass_field() -> None:
    assert [name for name, _ in tables() if "." not in name] == [
        item.name for item in fields(DeployConfig) if item.name not in FREE_TABLES
    ]


def test_documentation_addresses_are_unreachable_and_others_are_not() -> None:
    assert unreachable_cidrs(DeployConfig().load_balancer.allowed_cidrs) == ["192.0.2.1/32"]
    cidrs = ("203.0.113.0/24", "198.51.100.7/32", "2001:db8::/48", "8.8.8.8/32", "192.0.0.0/16", "10.0.0.0/8")
    assert unreachable_cidrs(cidrs) == ["203.0.113.0/24", "198.51.100.7/32", "2001:db8::/48"]


def test_every_kind_of_problem_is_reported_in_one_pass(tmp_path: Path) -> None:
    """An unknown table, a wrong type and a value AWS refuses: all three at once, one line each."""
    message = refused(
        tmp_path,
        '[databse]\nport = 1\n[database]\nport = "5432"\n[logs]\nretention_days = 10\n[worker]\nmin_count = 0\n',
    )
    lines = message.splitlines()
    assert len(lines) == 4, message
    assert "[databse] is not a farflow.toml table" in lines[0]
    assert '[database] port = "5432": must be a whole number' in lines[1]
    assert "[logs] retention_days = 10" in message and "[worker] min_count = 0" in message


def test_a_value_refused_for_its_type_is_not_blamed_again_through_its_default(tmp_path: Path) -> None:
    """The key holds its default while the rest is checked; a check that reads it must not quote it."""
    certificate = CERTIFICATE.replace(":eu-west-1:", ":eu-central-1:")
    message = refused(
        tmp_path,
        f'[project]\nregion = 1\n[load_balancer]\ncertificate_arn = "{certificate}"\n'
        'domain_name = "airflow.example.com"\n[worker]\nmin_count = 9\nmax_count = "ten"\n',
    )
    assert message.splitlines() == [
        f"{tmp_path / 'farflow.toml'}: [project] region = 1: must be a quoted string, like the default "
        '"us-east-1"; this is a whole number.',
        f'{tmp_path / "farflow.toml"}: [worker] max_count = "ten": must be a whole number, like the default '
        "5; this is a string.",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[airflow]\nsecrets = "vault"', '[airflow] secrets = "vault": give "secrets-manager"'),
        ("[airflow.scheduler]\ncount = 0", "[airflow.scheduler] count = 0: out of range; give 1 to 10"),
        ("[airflow.api_server]\ncount = 11", "[airflow.api_server] count = 11: out of range; give 1 to 10"),
        ('[airflow]\noptions = "x"', '[airflow] options = "x": write it as the table [airflow.options]'),
        (
            '[alarms]\nemail = "ops at example"',
            '[alarms] email = "ops at example": not an e-mail address; write',
        ),
    ],
)
def test_a_bad_daily_work_value_is_one_line_naming_key_value_and_fix(text: str, expected: str) -> None:
    with pytest.raises(DeployConfigError) as raised:
        parse(text)
    assert str(raised.value).startswith(f"farflow.toml: {expected}")
    assert len(str(raised.value).splitlines()) == 1
