"""Secrets: generated in Secrets Manager, delivered only as ECS secrets, never in env or outputs."""

from __future__ import annotations

import json

from farflow.database_url import SECRET_VARIABLE
from farflow.deploy.outputs import (
    ADMIN_SECRET_OUTPUT,
    CLUSTER_OUTPUT,
    TASK_EVENTS_QUEUE_OUTPUT,
    UI_URL_OUTPUT,
)
from farflow.spec import API_SERVER, Secret
from tests.support.deploy import Synthesized


def test_no_secret_value_anywhere_in_plain_text(stack: Synthesized) -> None:
    text = json.dumps(stack.template)
    # Dynamic references are how CloudFormation reads a secret; only RDS's own password may use one.
    _, instance = stack.one("AWS::RDS::DBInstance")
    allowed = json.dumps(instance["Properties"]["MasterUserPassword"])
    assert text.count("resolve:secretsmanager") == allowed.count("resolve:secretsmanager") == 1
    for secret in stack.of_type("AWS::SecretsManager::Secret").values():
        assert "SecretString" not in secret["Properties"]


def test_outputs_name_secrets_never_their_values(stack: Synthesized) -> None:
    outputs = stack.template["Outputs"]
    assert set(outputs) == {UI_URL_OUTPUT, ADMIN_SECRET_OUTPUT, CLUSTER_OUTPUT, TASK_EVENTS_QUEUE_OUTPUT}
    admin = outputs[ADMIN_SECRET_OUTPUT]["Value"]
    assert set(admin) == {"Ref"}
    assert stack.resources[admin["Ref"]]["Type"] == "AWS::SecretsManager::Secret"
    assert "resolve:secretsmanager" not in json.dumps(outputs)


def test_the_database_arrives_as_the_rds_secret_json(stack: Synthesized) -> None:
    [secrets] = [c["Secrets"] for c in stack.containers().values() if c["Name"] == API_SERVER.name]
    [database] = [entry for entry in secrets if entry["Name"] == SECRET_VARIABLE]
    attachment, _ = stack.one("AWS::SecretsManager::SecretTargetAttachment")
    assert database["ValueFrom"] == {"Ref": attachment}


def test_each_generated_secret_is_its_own_and_the_fernet_key_is_written_by_the_custom_resource(
    stack: Synthesized,
) -> None:
    [(fernet_writer, writer)] = stack.of_type("Custom::FarflowFernetKey").items()
    [secrets] = [c["Secrets"] for c in stack.containers().values() if c["Name"] == API_SERVER.name]
    sources = {entry["Name"]: entry["ValueFrom"] for entry in secrets}
    assert len({json.dumps(source) for source in sources.values()}) == len(sources)
    assert writer["Properties"]["SecretId"] == sources[Secret.FERNET_KEY.env_var]
    [(migration, _)] = stack.of_type("Custom::FarflowMigration").items()
    assert fernet_writer in stack.resources[migration].get("DependsOn", [])


def test_only_the_fernet_writer_may_write_a_secret(stack: Synthesized) -> None:
    writers = [
        statement
        for policy in stack.of_type("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "secretsmanager:PutSecretValue" in json.dumps(statement["Action"])
    ]
    assert len(writers) == 1
    [writer] = writers
    assert sorted(writer["Action"]) == ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"]
