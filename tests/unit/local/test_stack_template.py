"""The template a new project copies is built by the migration the project itself would run."""

from __future__ import annotations

from pathlib import Path

from farflow.local.database_template import template_key
from farflow.local.layout import StackLayout
from farflow.local.stack import LocalStack, StackOptions
from farflow.scaffold import init_project

# Where the two migrations may differ: the template's has no endpoint yet, and its own database.
ALLOWED_TO_DIFFER = {
    "AWS_ENDPOINT_URL",
    "AIRFLOW__ECS_FARGATE__ENDPOINT_URL",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
}


def test_the_template_migration_renders_the_projects_migration_environment(tmp_path: Path) -> None:
    project = tmp_path / "project"
    init_project(project)
    stack = LocalStack(StackOptions(project, api_port=18080))
    stack.secrets = stack.state.prepare()
    stack.layout = StackLayout(
        project=stack.project,
        state=stack.state,
        api_port=18080,
        endpoint_url="http://127.0.0.1:4566",
        database_url="postgresql+psycopg2://postgres:pw@/airflow?host=/project",
        stack_id=stack.stack_id,
    )
    projects = stack.environment("migration")
    templates = stack._migration_environment("postgresql+psycopg2://postgres@/airflow?host=/template")
    assert template_key(projects) == template_key(templates)
    assert set(projects) == set(templates)
    assert {key for key in projects if projects[key] != templates[key]} <= ALLOWED_TO_DIFFER
