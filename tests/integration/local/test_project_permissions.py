"""farflow.toml's `[permissions]` on the local endpoint: a role that runs the project's code reads a data
bucket exactly where its statements allow (a Deny wins), and no other role gains anything."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from farflow.local.endpoint import LocalEcsEndpoint
from farflow.local.iam_mode import IamMode
from farflow.local.roles import (
    UnparsablePolicyError,
    credentials,
    find_resources,
    put_project_policies,
    seed_roles,
)
from farflow.local.seed import seed_network, seed_task_definitions
from farflow.spec import Names
from farflow.spec.iam import project_policies
from farflow.spec.project_permissions import ProjectPermissions, ProjectStatement, RoleGrants

NAMES = Names()
GRANTED, UNGRANTED = "hello", "bye"
DATA = "my-data"
PERMISSIONS = ProjectPermissions(
    airflow_task=RoleGrants(
        statements=(
            ProjectStatement(("s3:GetObject",), (f"arn:aws:s3:::{DATA}/reports/*",)),
            ProjectStatement(("s3:GetObject",), (f"arn:aws:s3:::{DATA}/reports/secret",), effect="Deny"),
        ),
        # Not modelled locally: grants nothing here.
        managed_policies=("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",),
    ),
    tasks=((GRANTED, RoleGrants(statements=(ProjectStatement(("s3:Get*",), (f"arn:aws:s3:::{DATA}/*",)),))),),
)
KEYS = ("reports/a.csv", "reports/secret", "raw/b.csv")


@dataclass
class Seeded:
    endpoint: LocalEcsEndpoint
    store_bucket: str

    def get(self, role: str, key: str) -> str:
        """ "ok", or the error code the endpoint answers `role`'s GetObject of `key` with."""
        keys = credentials(role)
        s3 = self.endpoint.client(
            "s3",
            aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
        )
        try:
            s3.get_object(Bucket=DATA, Key=key)
        except ClientError as error:
            return str(error.response["Error"]["Code"])
        return "ok"


@pytest.fixture(scope="module")
def seeded() -> Iterator[Seeded]:
    with LocalEcsEndpoint(execute=False, iam=IamMode.ENFORCE) as endpoint:
        network = seed_network(endpoint.url, endpoint.region, NAMES)
        cluster_arn = f"arn:aws:ecs:{endpoint.region}:{endpoint.account_id}:cluster/{network.cluster}"
        resources = find_resources(endpoint.url, endpoint.region, cluster_arn, network.workload_store, NAMES)
        roles = seed_roles(endpoint.url, resources, NAMES, [GRANTED, UNGRANTED], project=PERMISSIONS)
        seed_task_definitions(
            endpoint.url, endpoint.region, {}, Path("/nonexistent"), NAMES, task_roles=roles.task_roles
        )
        admin: Any = endpoint.client("s3")
        location = {} if endpoint.region == "us-east-1" else {"LocationConstraint": endpoint.region}
        admin.create_bucket(Bucket=DATA, **({"CreateBucketConfiguration": location} if location else {}))
        for key in KEYS:
            admin.put_object(Bucket=DATA, Key=key, Body=b"1")
        yield Seeded(endpoint, resources.bucket)


def test_the_airflow_task_reads_only_where_its_statements_allow(seeded: Seeded) -> None:
    assert seeded.get("farflow-airflow-task", "reports/a.csv") == "ok"
    assert seeded.get("farflow-airflow-task", "raw/b.csv") == "AccessDenied"
    assert seeded.get("farflow-airflow-task", "reports/secret") == "AccessDenied"  # the Deny wins


def test_a_tasks_folder_role_gets_its_own_grant_and_another_folder_none(seeded: Seeded) -> None:
    assert seeded.get(f"farflow-task-{GRANTED}", "raw/b.csv") == "ok"
    assert seeded.get(f"farflow-task-{UNGRANTED}", "raw/b.csv") == "AccessDenied"


@pytest.mark.parametrize(
    "role", ["scheduler", "api-server", "dag-processor", "triggerer", "migration", "worker"]
)
def test_no_other_role_gains_anything(seeded: Seeded, role: str) -> None:
    assert seeded.get(f"farflow-{role}", "reports/a.csv") == "AccessDenied"


def put(seeded: Seeded, permissions: ProjectPermissions) -> None:
    folders = [GRANTED, UNGRANTED]
    iam = seeded.endpoint.client("iam")
    put_project_policies(iam, NAMES, project_policies(permissions, worker=True, folders=folders), folders)


def test_a_grant_of_everything_still_cannot_write_farflow_s_buckets(seeded: Seeded) -> None:
    """The guard (farflow.spec.iam.guard_policies), seeded on every role that runs the project's code, is
    decided by the endpoint: `*` on `*` writes the data bucket, never the workload store."""
    everything = RoleGrants(statements=(ProjectStatement(("*",), ("*",)),))
    put(seeded, ProjectPermissions(tasks=((UNGRANTED, everything),)))
    try:
        keys = credentials(f"farflow-task-{UNGRANTED}")
        s3 = seeded.endpoint.client(
            "s3",
            aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
        )
        s3.put_object(Bucket=DATA, Key="raw/new.csv", Body=b"1")
        with pytest.raises(ClientError) as denied:
            s3.put_object(Bucket=seeded.store_bucket, Key="workloads/farflow-airflow/x.json", Body=b"{}")
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
    finally:
        put(seeded, PERMISSIONS)


def test_a_policy_the_evaluator_cannot_parse_is_refused_loudly(seeded: Seeded) -> None:
    unparsable = ProjectStatement(
        ("s3:GetObject",), ("*",), conditions={"ForAnyValue:Null": {"aws:TagKeys": "true"}}
    )
    with pytest.raises(UnparsablePolicyError, match="ForAnyValue:Null"):
        put(seeded, ProjectPermissions(tasks=((UNGRANTED, RoleGrants(statements=(unparsable,))),)))
    # Checked before any role changed: every role is as it was.
    assert seeded.get("farflow-airflow-task", "reports/a.csv") == "ok"
    assert seeded.get(f"farflow-task-{GRANTED}", "raw/b.csv") == "ok"


def test_applying_a_changed_table_again_grants_and_withdraws(seeded: Seeded) -> None:
    """What a second `farflow local up` does to a running stack: the roles end as a fresh seed would
    leave them (a grant removed from farflow.toml is withdrawn). Runs last: it changes the roles."""
    endpoint = seeded.endpoint
    iam = endpoint.client("iam")
    folders = [GRANTED, UNGRANTED]
    moved = ProjectPermissions(tasks=((UNGRANTED, PERMISSIONS.folder(GRANTED)),))
    put_project_policies(iam, NAMES, project_policies(moved, worker=True, folders=folders), folders)
    assert seeded.get(f"farflow-task-{UNGRANTED}", "raw/b.csv") == "ok"
    assert seeded.get(f"farflow-task-{GRANTED}", "raw/b.csv") == "AccessDenied"
    assert seeded.get("farflow-airflow-task", "reports/a.csv") == "AccessDenied"
