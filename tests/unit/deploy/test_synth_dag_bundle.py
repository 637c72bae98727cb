"""The DAG bundle on AWS is `farflow.spec.dag_bundle` rendered: a versioned, SSE-S3, private, TLS-only
bucket kept on delete; its S3 bundle in every container that parses, runs or names DAGs; read access
(list and get, nothing else) for exactly the roles that read DAGs, before their services start; no
role of the stack may write it; and the outputs `farflow dags push` reads."""

from __future__ import annotations

import json
from typing import Any

import pytest

from farflow.deploy.outputs import DAGS_BUCKET_OUTPUT, IMAGE_INPUTS_OUTPUT
from farflow.spec import AIRFLOW_TASK, DAG_PROCESSOR, MIGRATION, SCHEDULER, SERVICES, WORKER, dag_bundle
from tests.support.deploy import Synthesized
from tests.unit.deploy.test_synth_iam import flat, normal

VARIABLE = "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"
S3_WRITES = ("s3:Put", "s3:Delete", "s3:Restore", "s3:Replicate", "s3:*", "*")


def _bucket(stack: Synthesized) -> tuple[str, dict[str, Any]]:
    return next(
        (key, value) for key, value in stack.of_type("AWS::S3::Bucket").items() if key.startswith("DagBundle")
    )


def _readers(stack: Synthesized) -> list[str]:
    container_names = [DAG_PROCESSOR.name, "airflow"]
    if WORKER.name in stack.containers():
        container_names.append(WORKER.name)
    return [stack.role_of(name) for name in container_names]


def test_the_bucket_is_versioned_sse_s3_private_tls_only_and_kept(stack: Synthesized) -> None:
    key, bucket = _bucket(stack)
    properties = bucket["Properties"]
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": dag_bundle.BUCKET.encryption}}
    ]
    assert properties["PublicAccessBlockConfiguration"] == dict(dag_bundle.PUBLIC_ACCESS_BLOCK)
    [rule] = properties["LifecycleConfiguration"]["Rules"]
    assert rule["NoncurrentVersionExpiration"] == {
        "NoncurrentDays": dag_bundle.BUCKET.noncurrent_expire_after_days
    }
    assert bucket["DeletionPolicy"] == "Retain"
    [(_, bucket_policy)] = [
        (k, v)
        for k, v in stack.of_type("AWS::S3::BucketPolicy").items()
        if v["Properties"]["Bucket"] == {"Ref": key}
    ]
    [tls] = bucket_policy["Properties"]["PolicyDocument"]["Statement"]
    assert (tls["Effect"], tls["Action"], tls["Condition"]) == (
        "Deny",
        "s3:*",
        {"Bool": {"aws:SecureTransport": "false"}},
    )


@pytest.mark.parametrize("which", ["stack", "variant"])
def test_every_container_that_parses_runs_or_names_dags_gets_the_bundle(
    which: str, request: pytest.FixtureRequest
) -> None:
    synthesized: Synthesized = request.getfixturevalue(which)
    key, _ = _bucket(synthesized)
    expected = dag_bundle.bundle_config(f"<{key}>")
    wanted = {component.name for component in (*SERVICES, AIRFLOW_TASK)} - (
        set() if which == "stack" else {WORKER.name}
    )
    found = {}
    for name, container in synthesized.containers().items():
        environment = {entry["Name"]: entry["Value"] for entry in container.get("Environment", [])}
        if VARIABLE in environment:
            found["airflow-task" if name == "airflow" else name] = json.loads(flat(environment[VARIABLE]))
    assert set(found) == wanted
    assert MIGRATION.name not in found
    assert all(config == expected for config in found.values())
    [bundle] = expected
    assert bundle["classpath"] == "airflow.providers.amazon.aws.bundles.s3.S3DagBundle"


@pytest.mark.parametrize("which", ["stack", "variant"])
def test_the_readers_may_list_and_read_it_and_nobody_may_write_it(
    which: str, request: pytest.FixtureRequest
) -> None:
    synthesized: Synthesized = request.getfixturevalue(which)
    key, _ = _bucket(synthesized)
    expected = [normal(statement) for statement in dag_bundle.reader_statements(f"<{key}.Arn>")]
    readers = _readers(synthesized)
    [(policy_id, policy)] = [
        (k, v)
        for k, v in synthesized.of_type("AWS::IAM::Policy").items()
        if any(normal(s) in expected for s in v["Properties"]["PolicyDocument"]["Statement"])
    ]
    assert [normal(s) for s in policy["Properties"]["PolicyDocument"]["Statement"]] == expected
    assert sorted(role["Ref"] for role in policy["Properties"]["Roles"]) == sorted(readers)
    # No statement anywhere in the stack allows an action that writes on the bucket (farflow's guard denies
    # them: tests/unit/spec/test_guard.py).
    for logical_id, resource in synthesized.of_type("AWS::IAM::Policy").items():
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            entry = normal(statement)
            if entry["Effect"] == "Allow" and any(key in str(resource_) for resource_ in entry["Resource"]):
                actions = entry["Action"] if isinstance(entry["Action"], list) else [entry["Action"]]
                assert not [a for a in actions if a.startswith(S3_WRITES)], (logical_id, entry)
    # The services whose tasks read it start after the policy exists.
    for name in (DAG_PROCESSOR.name, SCHEDULER.name, *([WORKER.name] if which == "stack" else [])):
        service, _ = synthesized.service_of(name)
        assert policy_id in synthesized.needs(service), name


def test_the_outputs_name_the_bucket_and_the_image_inputs(stack: Synthesized) -> None:
    key, _ = _bucket(stack)
    outputs = stack.template["Outputs"]
    assert outputs[DAGS_BUCKET_OUTPUT]["Value"] == {"Ref": key}
    inputs = json.loads(outputs[IMAGE_INPUTS_OUTPUT]["Value"])
    assert {"Dockerfile", "requirements.txt"} <= set(inputs)
