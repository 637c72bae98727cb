"""`[airflow] secrets = "secrets-manager"`: connections and variables in AWS Secrets Manager, under the stack's prefix.

The Amazon provider's SecretsManagerBackend reads the secret `<prefix>/connections/<conn_id>` for a
connection and `<prefix>/variables/<key>` for a variable, before Airflow's database. Airflow 3 loads the
configured backend in every process that resolves them: the api-server (the execution API answers tasks
from it), the scheduler, the dag-processor and triggerer, and the task runner in tasks and Edge workers
(`airflow.sdk.execution_time.supervisor.ensure_secrets_backend_loaded`, Airflow 3.3.2). The migration
resolves none, so it gets neither the setting nor the permission.
"""

from __future__ import annotations

import json

from farflow.spec.airflow_options import ALL_CONTAINERS, env_var
from farflow.spec.names import Names

SECRETS_MANAGER = "secrets-manager"
BACKEND = "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend"
KINDS = ("connections", "variables")
# The containers that resolve connections and variables, by spec component name.
READERS = ALL_CONTAINERS - {"migration"}


def prefix(names: Names, kind: str) -> str:
    """`<name>/connections` or `<name>/variables`: a secret's name is this, a slash and the id."""
    return f"{names.prefix}/{kind}"


def backend_settings(names: Names) -> dict[str, str]:
    """`[secrets] backend` and its kwargs. Config lookups (`config_prefix`) stay off: options come from
    farflow.toml, and the roles may read only the two prefixes."""
    kwargs = {f"{kind}_prefix": prefix(names, kind) for kind in KINDS} | {"config_prefix": None}
    return {
        env_var("secrets", "backend"): BACKEND,
        env_var("secrets", "backend_kwargs"): json.dumps(kwargs, sort_keys=True),
    }


def secret_name_patterns(names: Names) -> list[str]:
    """IAM resource names (after `secret:`) of exactly the secrets under the two prefixes.

    A secret's ARN is its name, a hyphen and six random characters (Secrets Manager User Guide,
    "Permissions to AWS Secrets Manager secrets" / ARN format), so `<prefix>/*` covers the secret
    `<prefix>/<id>` whatever its suffix, and nothing outside the prefix.
    """
    return [f"{prefix(names, kind)}/*" for kind in KINDS]
