"""The migration: a custom resource runs the MIGRATION component once per deploy, before the services."""

from __future__ import annotations

import json

from farflow.deploy.handlers.migration import run_task_request
from farflow.deploy.migration import ADMIN_USER, migration_command
from farflow.spec import MIGRATION, Secret
from tests.support.deploy import Synthesized


def test_command_migrates_then_creates_the_admin_from_the_secret_variable() -> None:
    shell, flag, script = migration_command()
    assert (shell, flag) == ("bash", "-c")
    migrate, create = script.removeprefix("set -euo pipefail; ").split("; ")
    assert migrate == "airflow " + " ".join(MIGRATION.command)
    assert create.startswith(f"airflow users create --username {ADMIN_USER} --role Admin")
    assert create.endswith(f'--password "${Secret.ADMIN_PASSWORD.env_var}"')


def test_custom_resource_runs_the_migration_task_definition(stack: Synthesized) -> None:
    [(_, resource)] = stack.of_type("Custom::FarflowMigration").items()
    properties = resource["Properties"]
    task_definition, definition = stack.task_definition_of(MIGRATION.name)
    assert properties["TaskDefinition"] == {"Ref": task_definition}
    assert properties["ContainerName"] == MIGRATION.name
    assert properties["AssignPublicIp"] == "DISABLED"
    assert definition["Properties"]["ContainerDefinitions"][0]["Command"] == migration_command()
    # The properties are exactly what the handler builds its RunTask request from.
    request = run_task_request(properties)
    assert request["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == [
        {
            "Fn::GetAtt": [
                next(
                    k for k in stack.of_type("AWS::EC2::SecurityGroup") if k.startswith("NetworkComponents")
                ),
                "GroupId",
            ]
        }
    ]


def test_reruns_whenever_the_image_changes(stack: Synthesized) -> None:
    [(_, resource)] = stack.of_type("Custom::FarflowMigration").items()
    manifest = json.loads((stack.outdir / "farflow.assets.json").read_text())
    airflow_image = next(
        key for key, image in manifest["dockerImages"].items() if "dockerFile" in image["source"]
    )
    assert resource["Properties"]["ImageHash"] == airflow_image


def test_provider_polls_until_the_task_stops(stack: Synthesized) -> None:
    handlers = {
        value["Properties"]["Handler"]
        for value in stack.of_type("AWS::Lambda::Function").values()
        if value["Properties"]["Handler"].startswith("migration.")
    }
    assert handlers == {"migration.on_event", "migration.is_complete"}
    _, machine = stack.one("AWS::StepFunctions::StateMachine")
    definition = json.dumps(machine["Properties"]["DefinitionString"])
    assert "IntervalSeconds" in definition and "15" in definition
    assert machine["Properties"]["LoggingConfiguration"]["Level"] == "ALL"


def test_functions_run_a_current_python_without_managed_policies(stack: Synthesized) -> None:
    ours = [
        value["Properties"]
        for value in stack.of_type("AWS::Lambda::Function").values()
        if value["Properties"]["Handler"].split(".")[0] in ("migration", "fernet_key")
    ]
    assert len(ours) == 3
    assert {function["Runtime"] for function in ours} == {"python3.14"}
