"""Secrets: generated in Secrets Manager, delivered only as ECS secrets, never in env or outputs."""

from __future__ import annotations

import json

import pytest

from farflow.database_url import SECRET_VARIABLE
from farflow.deploy.outputs import (
    ADMIN_SECRET_OUTPUT,
    AIRFLOW_TASK_ROLE_OUTPUT,
    ALARMS_TOPIC_OUTPUT,
    CLUSTER_OUTPUT,
    DAGS_BUCKET_OUTPUT,
    DASHBOARD_OUTPUT,
    IMAGE_INPUTS_OUTPUT,
    TASK_EVENTS_QUEUE_OUTPUT,
    UI_URL_OUTPUT,
    WORKER_ROLE_OUTPUT,
    folder_role_output,
)
from farflow.spec import API_SERVER, WORKER, Secret
from farflow.spec.names import AIRFLOW_CONTAINER
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
    assert set(outputs) == {
        UI_URL_OUTPUT,
        ADMIN_SECRET_OUTPUT,
        CLUSTER_OUTPUT,
        TASK_EVENTS_QUEUE_OUTPUT,
        DAGS_BUCKET_OUTPUT,
        IMAGE_INPUTS_OUTPUT,
        DASHBOARD_OUTPUT,
        ALARMS_TOPIC_OUTPUT,
        AIRFLOW_TASK_ROLE_OUTPUT,
        WORKER_ROLE_OUTPUT,
        folder_role_output("multi_task"),
        folder_role_output("number_task"),
    }
    admin = outputs[ADMIN_SECRET_OUTPUT]["Value"]
    assert set(admin) == {"Ref"}
    assert stack.resources[admin["Ref"]]["Type"] == "AWS::SecretsManager::Secret"
    assert "resolve:secretsmanager" not in json.dumps(outputs)
    role = outputs[folder_role_output("number_task")]["Value"]
    assert role == {"Fn::GetAtt": [stack.role_of("number_task"), "Arn"]}


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
        if statement["Effect"] == "Allow"
        and "secretsmanager:PutSecretValue" in json.dumps(statement["Action"])
    ]
    assert len(writers) == 1
    [writer] = writers
    assert sorted(writer["Action"]) == ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"]


def _secret_sources(stack: Synthesized, container_name: str) -> dict[str, str]:
    """The ECS secrets of one container: variable -> the JSON of where it comes from."""
    container = stack.containers()[container_name]
    return {entry["Name"]: json.dumps(entry["ValueFrom"]) for entry in container.get("Secrets", [])}


@pytest.mark.parametrize("container_name", [AIRFLOW_CONTAINER, WORKER.name])
def test_task_processes_get_neither_the_fernet_key_nor_the_api_secret_key(
    stack: Synthesized, container_name: str
) -> None:
    """The Airflow task container and the Edge worker run Task SDK code, which reads neither key
    (farflow.spec.components says which code paths do); their execution roles may not read them."""
    sources = _secret_sources(stack, container_name)
    assert not {Secret.FERNET_KEY.env_var, Secret.API_SECRET_KEY.env_var} & set(sources)
    api_server = _secret_sources(stack, API_SERVER.name)
    keys = [api_server[secret.env_var] for secret in (Secret.FERNET_KEY, Secret.API_SECRET_KEY)]
    execution_role = stack.role_of(container_name, "ExecutionRoleArn")
    readable = json.dumps(stack.policies_of(execution_role))
    assert not [key for key in keys if key in readable]
