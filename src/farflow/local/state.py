"""The local stack's state folder, `<project>/.farflow`, and the secrets every process shares.

Airflow's components and task processes must agree on one `[api_auth] jwt_secret`, `[api] secret_key`
and `[core] fernet_key`. Airflow would generate them into an `airflow.cfg` on first start; we generate
them once here instead (kept in a 0600 file) and hand them to every process in its environment, so no
process depends on a config file, just as on Fargate.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path

from farflow.spec.ui_user import ADMIN_USER

STATE_FOLDER = ".farflow"
# Modes of what farflow and Airflow write under the state folder: the user's alone (docs/local.md).
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


@dataclass(frozen=True)
class Secrets:
    """Generated once per project; never written to a log."""

    jwt_secret: str
    secret_key: str
    fernet_key: str
    admin_password: str
    # The embedded PostgreSQL's: task processes run as the same OS user and could reach its socket.
    database_password: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def __repr__(self) -> str:  # keep them out of tracebacks and debug prints
        return "Secrets(<hidden>)"


def generate_secrets() -> Secrets:
    return Secrets(
        jwt_secret=secrets.token_urlsafe(64),  # HS512 wants 64 bytes of key
        secret_key=secrets.token_urlsafe(32),
        fernet_key=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        admin_password=secrets.token_urlsafe(12),
        database_password=secrets.token_urlsafe(24),
    )


@dataclass(frozen=True)
class StateDir:
    """Every path the local stack writes to, all under `<project>/.farflow`."""

    root: Path

    @classmethod
    def for_project(cls, project: Path) -> StateDir:
        return cls(project.resolve() / STATE_FOLDER)

    @property
    def airflow_home(self) -> Path:
        return self.root / "airflow"

    @property
    def airflow_config(self) -> Path:
        return self.airflow_home / "airflow.cfg"

    @property
    def postgres_data(self) -> Path:
        """The embedded PostgreSQL's data folder (and, when its path is short enough, its socket)."""
        return self.root / "postgres"

    @property
    def stack_file(self) -> Path:
        """The running stack's record (pid, URLs, components): present only while a stack is up."""
        return self.root / "stack.json"

    @property
    def logs(self) -> Path:
        """The components' own logs (api-server.log, scheduler.log, ...)."""
        return self.root / "logs"

    @property
    def task_logs(self) -> Path:
        """Airflow's task logs; every process shares this disk, so the UI reads them directly."""
        return self.airflow_home / "logs"

    @property
    def secrets_file(self) -> Path:
        return self.root / "secrets.json"

    @property
    def passwords_file(self) -> Path:
        """SimpleAuthManager's password file, written by us so Airflow never prints the password."""
        return self.root / "passwords.json"

    def prepare(self) -> Secrets:
        """Create the folders, the placeholder airflow.cfg and the password file; return the secrets."""
        for folder in (self.root, self.airflow_home, self.logs, self.task_logs):
            folder.mkdir(parents=True, exist_ok=True)
            os.chmod(folder, PRIVATE_FOLDER)  # logs quote DAG code, task output, requests: the user's only
        if not self.airflow_config.exists():
            # An (almost) empty file stops Airflow from writing one full of generated secrets.
            _write_private(
                self.airflow_config,
                "# farflow configures Airflow through environment variables; see docs/local.md.\n",
            )
        os.chmod(self.airflow_config, PRIVATE_FILE)  # also one an older farflow wrote
        shared = load_or_create_secrets(self.secrets_file)
        _write_private(self.passwords_file, json.dumps({ADMIN_USER: shared.admin_password}) + "\n")
        return shared


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    os.chmod(path, PRIVATE_FILE)


def load_or_create_secrets(path: Path) -> Secrets:
    """Read the project's secrets, generating (and saving, mode 0600) any that are missing."""
    stored: dict[str, str] = {}
    if path.exists():
        try:
            loaded = json.loads(path.read_text())
        except json.JSONDecodeError:
            raise ValueError(
                f"{path} is not valid JSON. Delete it and farflow generates new secrets."
            ) from None
        if isinstance(loaded, dict):
            stored = {key: value for key, value in loaded.items() if isinstance(value, str) and value}
    fresh = asdict(generate_secrets())
    merged = {key: stored.get(key, value) for key, value in fresh.items()}
    if merged != stored:
        _write_private(path, json.dumps(merged, indent=2) + "\n")
    return Secrets(**merged)
