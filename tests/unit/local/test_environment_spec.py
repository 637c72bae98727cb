"""The local environments are the spec's, filled with local values: each component's settings and exactly
its secrets, plus nothing but the declared local-only keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from farflow import spec
from farflow.local.components import by_name
from farflow.local.environment import airflow_task_env, component_environment
from farflow.local.local_only import LOCAL_ONLY, component_extras, task_extras
from farflow.local.slots import UNFILLED, local_slots
from farflow.spec import Component, Secret
from tests.support.layouts import SECRETS, SEEDED
from tests.support.layouts import example_layout as layout
from tests.support.spec_settings import setting_names

LOCAL = (*spec.COMPONENTS, spec.MIGRATION, spec.AIRFLOW_TASK)
EVERY = (*spec.SERVICES, spec.AIRFLOW_TASK, spec.MIGRATION)


def local_environment(component: Component, project: Path) -> dict[str, str]:
    """What the local stack gives `component`, with nothing inherited from a shell."""
    if component is spec.AIRFLOW_TASK:
        return airflow_task_env(layout(project), SEEDED, SECRETS)
    return component_environment(component, {}, layout(project), SEEDED, SECRETS)


@pytest.mark.parametrize("component", LOCAL, ids=lambda c: c.name)
def test_a_process_gets_its_spec_and_only_local_only_keys_besides(
    component: Component, tmp_path: Path
) -> None:
    env = local_environment(component, tmp_path)
    spec_keys = setting_names(component) | {secret.env_var for secret in component.secrets}
    assert spec_keys <= set(env)
    assert set(env) - spec_keys <= LOCAL_ONLY


@pytest.mark.parametrize(
    ("component", "expected"),
    [
        (spec.API_SERVER, {Secret.FERNET_KEY, Secret.DATABASE_URL, Secret.API_SECRET_KEY, Secret.JWT_SECRET}),
        (spec.SCHEDULER, {Secret.FERNET_KEY, Secret.DATABASE_URL, Secret.API_SECRET_KEY, Secret.JWT_SECRET}),
        (spec.DAG_PROCESSOR, {Secret.FERNET_KEY, Secret.DATABASE_URL}),
        (spec.TRIGGERER, {Secret.FERNET_KEY, Secret.DATABASE_URL, Secret.API_SECRET_KEY}),
        (spec.MIGRATION, {Secret.FERNET_KEY, Secret.DATABASE_URL, Secret.ADMIN_PASSWORD}),
        (spec.AIRFLOW_TASK, set()),
    ],
    ids=lambda value: value.name if isinstance(value, Component) else "",
)
def test_each_process_gets_exactly_its_secrets(
    component: Component, expected: set[Secret], tmp_path: Path
) -> None:
    env = local_environment(component, tmp_path)
    assert {secret for secret in Secret if secret.env_var in env} == expected


def test_task_processes_carry_no_jwt_secret_or_database_under_any_name(tmp_path: Path) -> None:
    values = local_environment(spec.AIRFLOW_TASK, tmp_path).values()
    assert SECRETS.jwt_secret not in values
    assert not any(value.startswith("sqlite") for value in values)


def test_a_secret_in_the_users_shell_reaches_no_component_the_spec_withholds_it_from(tmp_path: Path) -> None:
    shell = {
        "AIRFLOW__API_AUTH__JWT_SECRET": "from-shell",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD": "cat /secret",
        "AIRFLOW__API__SECRET_KEY_SECRET": "path/in/backend",
        "AIRFLOW__CORE__PARALLELISM": "8",
    }
    dag_processor = component_environment("dag-processor", shell, layout(tmp_path), SEEDED, SECRETS)
    assert "AIRFLOW__API_AUTH__JWT_SECRET" not in dag_processor
    assert "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD" not in dag_processor
    assert "AIRFLOW__API__SECRET_KEY_SECRET" not in dag_processor
    assert dag_processor["AIRFLOW__CORE__PARALLELISM"] == "8"
    scheduler = component_environment("scheduler", shell, layout(tmp_path), SEEDED, SECRETS)
    assert scheduler["AIRFLOW__API_AUTH__JWT_SECRET"] == "jwt"


def test_the_worker_alias_is_the_local_executor(tmp_path: Path) -> None:
    env = component_environment("scheduler", {}, layout(tmp_path), SEEDED, SECRETS)
    assert env["AIRFLOW__CORE__EXECUTOR"] == "farflow.executor.EcsFargateExecutor,worker:LocalExecutor"
    assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith(".SimpleAuthManager")
    assert env["AIRFLOW__ECS_FARGATE__ASSIGN_PUBLIC_IP"] == "False"
    assert env["AIRFLOW__ECS_FARGATE__TASK_DEFINITION"] == "farflow-airflow"
    assert env["FARFLOW_WAITER_DELAY"] == "0.2"


def test_local_values_fill_every_slot_but_the_declared_ones(tmp_path: Path) -> None:
    slots = local_slots(layout(tmp_path), SEEDED)
    assert set(slots) == set(spec.Slot) - set(UNFILLED)
    used = {slot for component in EVERY for slot in component.slots}
    assert not used & set(UNFILLED)


def test_local_only_names_exactly_the_extras(tmp_path: Path) -> None:
    extras = set(component_extras(layout(tmp_path))) | set(task_extras(layout(tmp_path)))
    assert extras == LOCAL_ONLY


def test_no_local_only_key_hides_a_spec_setting_or_secret() -> None:
    spec_keys = {key for component in EVERY for key in setting_names(component)}
    assert not LOCAL_ONLY & (spec_keys | {secret.env_var for secret in Secret})


def test_the_stack_runs_the_spec_components_and_the_migration() -> None:
    assert list(by_name()) == ["api-server", "scheduler", "dag-processor", "triggerer", "migration"]


def test_an_unknown_component_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="webserver"):
        component_environment("webserver", {}, layout(tmp_path), SEEDED, SECRETS)


def test_the_migration_renders_the_same_before_the_seed_and_the_scheduler_does_not_render(
    tmp_path: Path,
) -> None:
    # The stack migrates while the seed runs: the migration must need nothing the seed creates.
    before = component_environment(spec.MIGRATION, {}, layout(tmp_path), None, SECRETS)
    assert before == local_environment(spec.MIGRATION, tmp_path)
    with pytest.raises(KeyError, match=r"slot.*CLUSTER"):
        component_environment(spec.SCHEDULER, {}, layout(tmp_path), None, SECRETS)
