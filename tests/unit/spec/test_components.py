"""The shared definition's own rules: who gets which secret, and that every slot renders."""

from __future__ import annotations

import pytest

from farflow.spec import (
    AIRFLOW_TASK,
    API_SERVER,
    COMPONENTS,
    MIGRATION,
    SCHEDULER,
    SERVICES,
    WORKER,
    Secret,
    Setting,
    Slot,
    render_environment,
    worker_alias,
)
from tests.support.spec_settings import setting_names

ALL = (*SERVICES, AIRFLOW_TASK, MIGRATION)


@pytest.mark.parametrize("component", ALL, ids=lambda c: c.name)
def test_nothing_that_runs_task_code_gets_the_database(component):
    if component in (AIRFLOW_TASK, WORKER):
        assert Secret.DATABASE_URL not in component.secrets


def test_jwt_secret_only_where_tokens_are_signed_or_checked():
    holders = {component.name for component in ALL if Secret.JWT_SECRET in component.secrets}
    assert holders == {API_SERVER.name, SCHEDULER.name, WORKER.name}


def test_every_process_that_writes_links_knows_the_ui_url():
    """FAB's login, task log links and alert e-mails are built from `[api] base_url`, wherever they are."""
    holders = {component.name for component in ALL if "AIRFLOW__API__BASE_URL" in setting_names(component)}
    assert holders == {component.name for component in ALL} - {MIGRATION.name}


def test_admin_password_only_for_the_migration():
    holders = {component.name for component in ALL if Secret.ADMIN_PASSWORD in component.secrets}
    assert holders == {MIGRATION.name}


@pytest.mark.parametrize("component", ALL, ids=lambda c: c.name)
def test_no_secret_is_a_plain_setting(component):
    secret_names = {secret.env_var for secret in Secret}
    assert not setting_names(component) & secret_names


@pytest.mark.parametrize("component", ALL, ids=lambda c: c.name)
def test_every_slot_renders(component):
    slots = {slot: f"<{slot.name}>" for slot in Slot}
    environment = render_environment(component, slots)
    assert set(environment) == setting_names(component)
    assert all("<" not in value or value.count("<") == value.count(">") for value in environment.values())


def test_joined_setting_renders_text_and_slots():
    setting = Setting("AIRFLOW__CORE__EXECUTOR", ("a,worker:", Slot.WORKER_EXECUTOR))
    assert setting.render({Slot.WORKER_EXECUTOR: "LocalExecutor"}) == "a,worker:LocalExecutor"


def test_the_worker_alias_is_configured_only_with_a_worker_pool() -> None:
    slots = {slot: f"<{slot.name}>" for slot in Slot}
    executor = render_environment(SCHEDULER, {**slots, Slot.WORKER_EXECUTOR: worker_alias("Edge")})
    assert executor["AIRFLOW__CORE__EXECUTOR"] == "farflow.executor.EcsFargateExecutor,worker:Edge"
    without = render_environment(SCHEDULER, {**slots, Slot.WORKER_EXECUTOR: worker_alias(None)})
    assert without["AIRFLOW__CORE__EXECUTOR"] == "farflow.executor.EcsFargateExecutor"


def test_missing_slot_is_named():
    with pytest.raises(KeyError, match="DAGS_FOLDER"):
        render_environment(SCHEDULER, {})


def test_the_four_components_are_the_ones_airflow_3_runs():
    assert [component.name for component in COMPONENTS] == [
        "api-server",
        "scheduler",
        "dag-processor",
        "triggerer",
    ]
