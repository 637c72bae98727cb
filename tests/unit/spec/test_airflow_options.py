"""`[airflow.options]`: checked against the installed Airflow, refused where farflow owns the option, and
rendered the same way by both platforms on the containers that read each section."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from farflow.deploy.config_file import DeployConfigError, parse
from farflow.deploy.environment import AwsEnvironment
from farflow.local.environment import (
    StackConfigError,
    airflow_task_env,
    component_environment,
    project_airflow_options,
)
from farflow.local.local_only import LOCAL_TUNING, RESILIENCE_TUNING
from farflow.spec import AIRFLOW_TASK, COMPONENTS, MIGRATION, SERVICES, Names
from farflow.spec.airflow_option_check import airflow_options, check_options
from farflow.spec.airflow_options import ALL_CONTAINERS, OWNED, env_var
from tests.support.layouts import SECRETS, SEEDED, example_layout
from tests.unit.deploy.test_environment import VALUES

OPTIONS = """
[airflow.options]
core.parallelism = 64
scheduler.max_tis_per_query = "32"
dag_processor.dag_file_processor_timeout = 90
scheduler.scheduler_heartbeat_sec = 3
logging.logging_level = "DEBUG"
"""


def test_the_option_list_is_what_airflow_config_list_prints(tmp_path: Path) -> None:
    """Every option Airflow's own CLI lists, and no other, is one the table accepts."""
    environment = {**os.environ, "AIRFLOW_HOME": str(tmp_path)}
    listed = subprocess.run(
        [sys.executable, "-m", "airflow", "config", "list", "--defaults"],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
        cwd=tmp_path,
    ).stdout
    printed = set()
    section = ""
    for line in listed.splitlines():
        if header := re.fullmatch(r"\[([\w.]+)\]", line):
            section = header[1]
        elif variable := re.fullmatch(r"# Variable: AIRFLOW__[\w.]+__(\w+)", line):
            printed.add((section, variable[1].lower()))
    known = {(section, key) for section, keys in airflow_options().items() for key in keys}
    assert len(printed) > 300
    assert known == printed


def test_the_variable_names_are_the_ones_airflow_reads() -> None:
    """A dotted section's variable has an underscore (AIRFLOW__COMMON_IO__...), though the CLI prints a dot."""
    from airflow.configuration import conf

    for section, keys in airflow_options().items():
        for key in keys:
            assert env_var(section, key) == conf._env_var_name(section, key)


def test_options_parse_to_airflows_types() -> None:
    options = {option.name: option for option in parse(OPTIONS).airflow.options}
    assert options["core.parallelism"].value == 64
    assert options["scheduler.max_tis_per_query"].value == 32  # Airflow reads an integer
    assert options["logging.logging_level"].env_var == "AIRFLOW__LOGGING__LOGGING_LEVEL"
    assert (
        parse('[airflow.options.scheduler]\nuse_job_schedule = "false"\n').airflow.options[0].text == "False"
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "corr.parallelism = 64",
            r"corr\.parallelism = 64: Airflow [\d.]+ has no section \[corr\]; did you mean \[core\]\?",
        ),
        (
            "core.paralelism = 64",
            r"core\.paralelism = 64: .* has no option paralelism; did you mean core\.parallelism\?",
        ),
        (
            'core.executor = "LocalExecutor"',
            r'core\.executor = "LocalExecutor": farflow sets this option itself from \[worker\] enabled',
        ),
        ('api.base_url = "http://x"', r"farflow sets this option itself from \[load_balancer\] domain_name"),
        (
            'core.parallelism = "lots"',
            r'core\.parallelism = "lots": Airflow reads a whole number here, like its default core\.parallelism = 32\.',
        ),
        ("core.parallelism = 1.5", r"core\.parallelism = 1\.5: Airflow reads a whole number"),
        (
            'scheduler.use_job_schedule = "maybe"',
            r"Airflow reads true or false here, like its default scheduler\.use_job_schedule = true\.",
        ),
        ("core.parallelism = [64]", r"core\.parallelism = \[64\]: give a string, number or true/false"),
        (
            'sentry.sentry_dsn = "https://key@sentry.example.com/1"',
            r"sentry\.sentry_dsn = .*: Airflow marks this option sensitive.*Secrets Manager.*"
            r'\[airflow\] secrets = "secrets-manager"',
        ),
        ('database.sql_alchemy_engine_args = "{}"', r"Airflow marks this option sensitive"),
        ("core = 64", r"core = 64: name the option with its section, section\.option = value"),
    ],
)
def test_a_bad_option_is_one_line_naming_it_and_the_fix(line: str, expected: str) -> None:
    with pytest.raises(DeployConfigError) as raised:
        parse(f"[airflow.options]\n{line}\n")
    [message] = str(raised.value).splitlines()
    assert message.startswith("farflow.toml: [airflow.options] ")
    assert re.search(expected, message), message


def test_every_sensitive_option_airflow_names_is_refused() -> None:
    """Options land as plain environment variables in the task definition, which anyone who may describe
    it reads: Airflow's own list of sensitive options is refused (or farflow sets it from a secret)."""
    from airflow.configuration import conf

    assert ("opensearch", "password") in conf.sensitive_config_values
    for section, key in conf.sensitive_config_values:
        options, problems = check_options({section: {key: "x"}})
        assert options == (), (section, key)
        [problem] = problems
        # Or Airflow no longer reads it there (core.sql_alchemy_conn moved to [database], [webserver] is gone).
        reasons = (
            "sensitive",
            "farflow sets this option itself",
            f"has no option {key}",
            f"no section [{section}]",
        )
        assert any(reason in problem for reason in reasons), problem


def test_every_owned_option_is_one_airflow_has() -> None:
    """So the refusal can fire: an owned name Airflow lacks would be refused as unknown instead."""
    known = airflow_options()
    absent = [name for name in OWNED if name.split(".")[1] not in known.get(name.split(".")[0], {})]
    # FAB's provider is in the deployed image, not in farflow's own environment.
    assert absent == ["fab.cookie_secure"]


def option_of(variable: str) -> str | None:
    """`section.key` of an `AIRFLOW__SECTION__KEY` variable (lowercase), or None for any other name."""
    parts = variable.split("__")
    if len(parts) != 3 or parts[0] != "AIRFLOW":
        return None
    return f"{parts[1].lower()}.{parts[2].lower()}"


def _airflow_names(environment: dict[str, str]) -> set[str]:
    """The options a rendered environment sets (an option's `_cmd` variant counts as the option)."""
    return {name.removesuffix("_cmd") for variable in environment if (name := option_of(variable))}


def test_every_option_the_deploy_sets_is_owned() -> None:
    everywhere = replace(VALUES, worker_pool=True)
    environment = AwsEnvironment(Names("demo"), everywhere)
    rendered = set().union(
        *(_airflow_names(environment.for_component(c)) for c in (*SERVICES, AIRFLOW_TASK, MIGRATION))
    )
    assert rendered - set(OWNED) == set()


def test_every_option_the_local_stack_wires_is_owned(tmp_path: Path) -> None:
    """The local stack's speed tuning may be overridden by the project's options; its wiring may not."""
    layout = example_layout(tmp_path)
    tuning = _airflow_names({**LOCAL_TUNING, **RESILIENCE_TUNING})
    rendered = _airflow_names(airflow_task_env(layout, SEEDED, SECRETS))
    for component in (*COMPONENTS, MIGRATION):
        rendered |= _airflow_names(component_environment(component, {}, layout, SEEDED, SECRETS))
    assert rendered - tuning - set(OWNED) == set()


def test_both_platforms_set_each_option_on_its_sections_readers(tmp_path: Path) -> None:
    options = parse(OPTIONS).airflow.options
    deploy = AwsEnvironment(Names("demo"), replace(VALUES, airflow_options=options))
    (tmp_path / "farflow.toml").write_text(OPTIONS)
    layout = replace(example_layout(tmp_path), airflow_options=project_airflow_options(tmp_path))
    local = {c.name: component_environment(c, {}, layout, SEEDED, SECRETS) for c in (*COMPONENTS, MIGRATION)}
    local[AIRFLOW_TASK.name] = airflow_task_env(layout, SEEDED, SECRETS)
    aws = {c.name: deploy.for_component(c) for c in (*SERVICES, AIRFLOW_TASK, MIGRATION)}
    expected = {
        "AIRFLOW__CORE__PARALLELISM": ALL_CONTAINERS,
        "AIRFLOW__LOGGING__LOGGING_LEVEL": ALL_CONTAINERS,
        "AIRFLOW__SCHEDULER__MAX_TIS_PER_QUERY": {"scheduler", "api-server"},
        "AIRFLOW__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT": {"dag-processor"},
    }
    for rendered in (aws, local):
        for variable, readers in expected.items():
            assert {
                name for name, environment in rendered.items() if variable in environment
            } == readers & set(rendered)
    assert (
        aws["scheduler"]["AIRFLOW__CORE__PARALLELISM"]
        == local["scheduler"]["AIRFLOW__CORE__PARALLELISM"]
        == "64"
    )
    # The project's option wins over the local stack's speed tuning of the same option.
    assert local["scheduler"]["AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC"] == "3"


def test_the_local_stack_refuses_a_bad_option_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "farflow.toml").write_text('[airflow.options]\ncore.executor = "LocalExecutor"\n')
    with pytest.raises(
        StackConfigError, match=r"^\S+farflow.toml: \[airflow.options\] core.executor"
    ) as raised:
        project_airflow_options(tmp_path)
    assert len(str(raised.value).splitlines()) == 1
    assert project_airflow_options(tmp_path / "none") == ()


def test_the_queued_alarms_default_is_airflows() -> None:
    from farflow.spec.metrics import DEFAULT_TASK_QUEUED_TIMEOUT

    assert (
        float(airflow_options()["scheduler"]["task_queued_timeout"]["default"]) == DEFAULT_TASK_QUEUED_TIMEOUT
    )


def test_airflow_reads_the_options_from_the_local_schedulers_environment(tmp_path: Path) -> None:
    """The rendered variables are what Airflow itself reads (its own CLI, in the scheduler's environment)."""
    (tmp_path / "farflow.toml").write_text(OPTIONS)
    layout = replace(example_layout(tmp_path), airflow_options=project_airflow_options(tmp_path))
    environment = component_environment("scheduler", {"PATH": os.environ["PATH"]}, layout, SEEDED, SECRETS)
    (tmp_path / ".farflow" / "airflow").mkdir(parents=True, exist_ok=True)
    script = (
        "from airflow.configuration import conf; "
        "print(conf.getint('core', 'parallelism'), conf.getfloat('scheduler', 'scheduler_heartbeat_sec'), flush=True)"
    )
    read = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert "64 3.0" in read.stdout.splitlines()
