"""The local values of the spec's slots and secrets: what `farflow.spec` leaves to each platform.

`farflow.deploy` fills the same slots with AWS values (subnet ids, the load balancer's URL, the Edge
executor); everything else about a component's settings is the spec's, so it cannot differ.
"""

from __future__ import annotations

from collections.abc import Mapping

from farflow.local.endpoint.moto_state import DEFAULT_ACCOUNT_ID
from farflow.local.layout import SeededNames, StackLayout
from farflow.local.state import Secrets
from farflow.spec import Component, Names, Secret, Slot, dag_bundle, events_queue_shape, worker_alias

# Locally the LocalExecutor, inside the scheduler, stands behind the `worker` alias (on AWS: Edge workers).
WORKER_EXECUTOR = "LocalExecutor"
AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
# The operators' DescribeTasks polls (and CloudWatch Logs reads): one machine, whose tasks stop within a
# fraction of a second, so a fifth of a second rather than the default six.
WAITER_DELAY = "0.2"

# Slots the local stack deliberately leaves empty, and why: a spec setting that starts to use one fails
# to render (naming the slot) instead of silently getting a local stand-in.
UNFILLED: Mapping[Slot, str] = {
    Slot.REMOTE_LOG_FOLDER: "every process shares one disk: task logs stay in AIRFLOW__LOGGING__BASE_LOG_FOLDER",
}


def events_queue_url(endpoint_url: str, names: Names) -> str:
    """The task events queue the seed creates, by the URL the endpoint gives it (in the stack's account,
    moto's default; the endpoint finds a queue by the URL's last segment in the caller's account)."""
    return f"{endpoint_url}/{DEFAULT_ACCOUNT_ID}/{events_queue_shape(names).queue_name}"


def local_slots(layout: StackLayout, seeded: SeededNames | None) -> dict[Slot, str]:
    """Every slot but those in UNFILLED, from the layout, the seeded network and the spec's names. Before
    the seed (`seeded` None) the network's slots are left out: a component that needs one (the
    migration needs none) fails to render, naming it."""
    names = layout.names
    slots = {
        Slot.DAGS_FOLDER: str(layout.dags_folder),
        Slot.EXECUTION_API_URL: f"{layout.api_url}/execution/",
        Slot.API_BASE_URL: layout.ui_url,
        Slot.WORKER_EXECUTOR: worker_alias(WORKER_EXECUTOR),
        Slot.AUTH_MANAGER: AUTH_MANAGER,
        Slot.REGION: layout.region,
        Slot.AIRFLOW_TASK_DEFINITION: names.airflow_family,
        Slot.AIRFLOW_CONTAINER: names.airflow_container,
        Slot.TASK_DEFINITION_PREFIX: names.task_definition_prefix,
        Slot.ASSIGN_PUBLIC_IP: "False",
        Slot.TASK_LOG_GROUP: names.task_log_group,
        Slot.WAITER_DELAY: WAITER_DELAY,
        # Events on by default: the demo and the end-to-end tests run the event path.
        Slot.EVENTS_QUEUE_URL: events_queue_url(layout.endpoint_url, names),
    }
    if seeded is not None:
        slots |= {
            Slot.CLUSTER: seeded.cluster,
            Slot.SUBNETS: ",".join(seeded.subnets),
            Slot.SECURITY_GROUPS: ",".join(seeded.security_groups),
            Slot.WORKLOAD_STORE: seeded.workload_store,
            Slot.DAG_BUNDLES: dag_bundle.config_list(seeded.dags_bucket or None),
        }
    return slots


def secret_values(layout: StackLayout, shared: Secrets) -> dict[Secret, str]:
    """Every secret's local value: generated once per project (state.py), the database from the layout."""
    return {
        Secret.FERNET_KEY: shared.fernet_key,
        Secret.JWT_SECRET: shared.jwt_secret,
        Secret.API_SECRET_KEY: shared.secret_key,
        Secret.DATABASE_URL: layout.database_url,
        Secret.ADMIN_PASSWORD: shared.admin_password,
    }


def component_secrets(component: Component, layout: StackLayout, shared: Secrets) -> dict[str, str]:
    """Exactly the secrets the spec gives `component`, by the variable each arrives in."""
    values = secret_values(layout, shared)
    return {secret.env_var: values[secret] for secret in sorted(component.secrets, key=lambda s: s.name)}
