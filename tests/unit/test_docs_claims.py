"""Claims in the README and docs that the code decides: each checked against what the code does."""

from __future__ import annotations

import re
from pathlib import Path

from farflow.spec import DAG_VARIABLES, SCHEDULER

ROOT = Path(__file__).parents[2]


def doc(name: str) -> str:
    return (ROOT / name).read_text()


def test_local_md_lists_every_name_a_dag_reads() -> None:
    table = doc("docs/local.md").split("## What the DAG reads", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `(FARFLOW_[A-Z_]+)` \|", table, flags=re.MULTILINE))
    assert listed == set(DAG_VARIABLES)


def test_deploy_md_says_the_executor_reads_the_task_events_queue() -> None:
    """The deployed scheduler is given the queue (its spec sets events_queue_url), so the docs say so."""
    assert "AIRFLOW__ECS_FARGATE__EVENTS_QUEUE_URL" in {setting.name for setting in SCHEDULER.settings}
    section = doc("docs/deploy.md").split("### Task events", 1)[1].split("\n### ", 1)[0]
    assert "Nothing reads it" not in section
    assert "events_queue_url" in section and "reads it" in section


def test_install_lines_do_not_send_users_to_pypi() -> None:
    """farflow is not published: `pip install farflow` (or `farflow[deploy]`) would fail or install
    someone else's package. Installs name a clone, a git URL or a wheel."""
    for name in ("README.md", "docs/deploy.md", "docs/local.md", "docs/configuration.md"):
        text = doc(name)
        assert not re.search(r"pip install '?farflow(\[\w+\])?'?(?![\w.@/-])(?!\s+@)", text), name
    assert "not on PyPI" in doc("README.md")


def test_the_readme_names_only_files_that_exist_where_to_change_what() -> None:
    """README's "Where to change what": every file it sends a change to is in the tree."""
    table = doc("README.md").split("### Where to change what", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`([\w/]+\.(?:py|md))`", table)) | set(
        re.findall(r"\b(docs/[\w-]+\.md)\b", table)
    )
    assert len(named) > 15
    missing = [
        path for path in named if not (ROOT / path).is_file() and not (ROOT / "src/farflow" / path).is_file()
    ]
    assert missing == []
