"""docs/deploy.md cannot drift: its generated tables (keys, secrets, cdk-nag acknowledgements) are what
the code says, its construct and module tables name what exists, its cost lines are the default sizes.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

from farflow.deploy.config import DeployConfig
from farflow.deploy.config_keys import keys
from farflow.deploy.config_rules import show
from farflow.deploy.toolkit import CDK_VERSION
from farflow.spec import AIRFLOW_TASK, MIGRATION, SERVICES, Secret
from tests.support.deploy import Synthesized

ROOT = Path(__file__).parents[3]
DOC = ROOT / "docs" / "deploy.md"
BEGIN = "<!-- keys: generated from farflow.deploy.config; tests/unit/deploy/test_deploy_docs.py -->"
END = "<!-- end of keys -->"
SECRETS = "<!-- secrets: generated from farflow.spec; tests/unit/deploy/test_deploy_docs.py -->"
CONSTRUCTS = (
    "<!-- constructs: checked against the synthesized stack; tests/unit/deploy/test_deploy_docs.py -->"
)
MODULES = "<!-- modules: checked against src/farflow/deploy; tests/unit/deploy/test_deploy_docs.py -->"
NAG = "<!-- cdk-nag: generated from synths of two configurations; tests/unit/deploy/test_deploy_docs.py -->"
CHECKOV = (
    "<!-- checkov: generated from synths of two configurations; tests/unit/deploy/test_deploy_docs.py -->"
)
END_OF_TABLE = "<!-- end of table -->"


def between(begin: str, end: str = END_OF_TABLE) -> str:
    text = DOC.read_text()
    return text[text.index(begin) + len(begin) : text.index(end, text.index(begin))].strip()


def first_column(table: str) -> list[str]:
    """The backticked names in the first column of a markdown table (header and rule skipped)."""
    return [name for row in table.splitlines()[2:] for name in re.findall(r"`([^`]+)`", row.split("|")[1])]


# The prices the doc's cost table states (us-east-1, on demand); the sizes come from the defaults.
HOURS_PER_MONTH = 730
FARGATE_VCPU_HOUR = 0.04048
FARGATE_GB_HOUR = 0.004445
RDS_STORAGE_GB_MONTH = 0.115


def key_table() -> str:
    rows = ["| key | default | meaning |", "|---|---|---|"]
    rows += [f"| `{key.label}` | `{show(key.default)}` | {key.help} |" for key in keys()]
    return "\n".join(rows)


def test_the_key_table_is_the_dataclasses_keys() -> None:
    assert between(BEGIN, END) == key_table(), f"regenerate the table in docs/deploy.md:\n{key_table()}"


def secrets_table() -> str:
    """Which container gets which secret, from the spec, and the variable it arrives in on AWS."""
    from farflow.deploy.secrets import secret_variable

    components = (*SERVICES, AIRFLOW_TASK, MIGRATION)
    rows = [
        f"| secret | arrives in | {' | '.join(component.name for component in components)} |",
        f"|---|---|{'---|' * len(components)}",
    ]
    for secret in Secret:
        marks = " | ".join("yes" if secret in component.secrets else "no" for component in components)
        rows.append(f"| {secret.name} | `{secret_variable(secret)}` | {marks} |")
    return "\n".join(rows)


def test_the_secrets_table_is_the_specs() -> None:
    assert between(SECRETS) == secrets_table(), f"regenerate the table in docs/deploy.md:\n{secrets_table()}"


def test_the_construct_table_names_every_construct_and_output_of_the_stack(stack: Synthesized) -> None:
    tree = json.loads((stack.outdir / "tree.json").read_text())["tree"]["children"]["farflow"]["children"]
    cdk_own = {"aws-cdk-lib.CfnParameter", "aws-cdk-lib.CfnRule"}  # the bootstrap version check
    ours = [name for name, node in tree.items() if node["constructInfo"]["fqn"] not in cdk_own]
    # One output per tasks/<name> folder: the table names them once.
    folders = [re.sub(r"^Tasks\w+RoleArn$", "Tasks<Folder>RoleArn", name) for name in ours]
    assert first_column(between(CONSTRUCTS)) == list(dict.fromkeys(folders))


def test_the_module_table_names_every_module() -> None:
    package = ROOT / "src" / "farflow" / "deploy"
    modules = {path.name for path in package.glob("*.py") if path.name != "__init__.py"}
    assert set(first_column(between(MODULES))) == modules | {"handlers/"}


Acknowledged = dict[tuple[str, str], set[str]]


def _where(path: str) -> str:
    """A construct path below the stack, a tasks/<name> folder's name as `<folder>`."""
    return re.sub(r"^FolderTasks/[^/]+/", "FolderTasks/<folder>/", path.removeprefix("/farflow/"))


def acknowledgements(synthesized: Synthesized) -> Acknowledged:
    """(rule, reason) -> where cdk-nag honoured it."""
    found: Acknowledged = defaultdict(set)
    for path, rule_id, reason in synthesized.acknowledgements():
        found[rule_id.split("[", 1)[0], reason].add(_where(path))
    return found


def checkov_acknowledgements(synthesized: Synthesized) -> Acknowledged:
    """(check, reason) -> where the template carries checkov's skip metadata."""
    found: Acknowledged = defaultdict(set)
    for logical_id, check, reason in synthesized.checkov_skips():
        found[check, reason].add(_where(synthesized.construct_path(logical_id)))
    return found


def nag_table(*synths: Synthesized) -> str:
    """One row per rule and reason: where it is acknowledged, and whether every configuration does."""
    return acknowledgement_table("rule", [acknowledgements(synthesized) for synthesized in synths])


def checkov_table(*synths: Synthesized) -> str:
    """The same table for checkov's checks, from the templates' skip metadata."""
    return acknowledgement_table("check", [checkov_acknowledgements(synthesized) for synthesized in synths])


def acknowledgement_table(kind: str, found: list[Acknowledged]) -> str:
    rows = [f"| {kind} | where | when | why (the reason given in code) |", "|---|---|---|---|"]
    for rule, reason in sorted(set().union(*found)):
        places = set().union(*(acknowledged.get((rule, reason), set()) for acknowledged in found))
        where = ", ".join(f"`{place}`" for place in sorted(places))
        when = (
            "always" if all((rule, reason) in acknowledged for acknowledged in found) else "by farflow.toml"
        )
        cell = reason.replace("|", "\\|")
        rows.append(f"| {rule} | {where} | {when} | {cell} |")
    return "\n".join(rows)


def test_the_cdk_nag_table_is_what_the_app_acknowledges(stack: Synthesized, variant: Synthesized) -> None:
    table = nag_table(stack, variant)
    assert between(NAG) == table, f"regenerate the table in docs/deploy.md:\n{table}"


def test_the_checkov_table_is_what_the_templates_acknowledge(
    stack: Synthesized, variant: Synthesized
) -> None:
    table = checkov_table(stack, variant)
    assert between(CHECKOV) == table, f"regenerate the table in docs/deploy.md:\n{table}"


def monthly_fargate(cpu: int, memory: int, count: int = 1) -> str:
    hourly = cpu / 1024 * FARGATE_VCPU_HOUR + memory / 1024 * FARGATE_GB_HOUR
    return f"${hourly * HOURS_PER_MONTH * count:.2f}"


def size_text(cpu: int, memory: int) -> str:
    return f"{cpu / 1024:g} vCPU / {memory / 1024:g} GB"


def test_the_costs_are_those_of_the_default_sizes() -> None:
    text = DOC.read_text()
    airflow, worker, database = DeployConfig().airflow, DeployConfig().worker, DeployConfig().database
    services = {
        "api-server": airflow.services["api_server"],
        "scheduler": airflow.services["scheduler"],
        "dag-processor": airflow.services["dag_processor"],
        "triggerer": airflow.services["triggerer"],
    }
    for name, size in services.items():
        assert (
            f"| Fargate: {name}, {size_text(size.cpu, size.memory)} | {monthly_fargate(size.cpu, size.memory)} |"
            in text
        )
    workers = f"workers ({worker.min_count}), {size_text(worker.cpu, worker.memory)} each"
    assert f"| Fargate: {workers} | {monthly_fargate(worker.cpu, worker.memory, worker.min_count)} |" in text
    assert (
        f"up to {worker.max_count} ({monthly_fargate(worker.cpu, worker.memory, worker.max_count)})" in text
    )
    assert f"db.{database.instance_class}" in text
    storage = database.allocated_storage_gb * RDS_STORAGE_GB_MONTH
    assert f"{database.allocated_storage_gb} GB storage | ${storage:.2f} |" in text


def test_the_doc_names_the_pinned_toolkit() -> None:
    assert f"aws-cdk@{CDK_VERSION}" in DOC.read_text()


def test_the_readme_summary_has_the_docs_total() -> None:
    total = re.search(r"\*\*Total, idle, at the defaults\*\* \| \*\*about (\$\d+)\*\*", DOC.read_text())
    assert total is not None
    readme = (ROOT / "README.md").read_text()
    assert f"about {total[1]} a month" in readme
    assert "(docs/deploy.md)" in readme


READERS = (
    "<!-- readers: generated from farflow.spec.airflow_options; tests/unit/deploy/test_deploy_docs.py -->"
)


def readers_table() -> str:
    """Which containers get the options of each section of [airflow.options]."""
    from farflow.spec.airflow_options import READERS as BY_SECTION

    rows = ["| section | set on |", "|---|---|"]
    rows += [f"| `[{section}]` | {', '.join(sorted(readers))} |" for section, readers in BY_SECTION.items()]
    rows.append(
        "| every other section | every Airflow container (services, workers, Airflow tasks, migration) |"
    )
    return "\n".join(rows)


def test_the_option_readers_table_is_the_specs() -> None:
    assert between(READERS) == readers_table(), f"regenerate the table in docs/deploy.md:\n{readers_table()}"
