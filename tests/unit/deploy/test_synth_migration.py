"""The migration: a custom resource runs the MIGRATION component once per deploy, before the services."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from farflow.deploy.handlers.migration import run_task_request
from farflow.deploy.migration import TASK_TIMEOUT, TIMEOUT, migration_command
from farflow.schema_gate import EXIT_AHEAD
from farflow.spec import MIGRATION, Secret
from farflow.spec.ui_user import ADMIN_USER
from tests.support.deploy import Synthesized
from tests.unit.deploy.test_synth_iam import TASKS, normal


def _run_command(tmp_path: Path, gate_exit: int) -> tuple[int, list[str]]:
    """Run the migration command in bash with `python` and `airflow` stand-ins that record their argv."""
    calls = tmp_path / "calls"
    for name, status in (("python", gate_exit), ("airflow", 0)):
        tool = tmp_path / name
        tool.write_text(f'#!/bin/bash\necho "{name} $*" >> "{calls}"\nexit {status}\n')
        tool.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", Secret.ADMIN_PASSWORD.env_var: "pw"}
    done = subprocess.run(migration_command(), env=env, check=False, timeout=30)
    return done.returncode, calls.read_text().splitlines() if calls.exists() else []


def test_command_gates_then_migrates_then_creates_the_admin_from_the_secret_variable(tmp_path: Path) -> None:
    status, calls = _run_command(tmp_path, gate_exit=0)
    assert status == 0
    gate, migrate, create = calls
    assert gate == "python -m farflow.schema_gate"
    assert migrate == "airflow " + " ".join(MIGRATION.command)
    assert create.startswith(f"airflow users create --username {ADMIN_USER} --role Admin")
    assert create.endswith("--password pw")


def test_command_succeeds_without_migrating_when_the_database_is_ahead(tmp_path: Path) -> None:
    assert _run_command(tmp_path, gate_exit=EXIT_AHEAD) == (0, ["python -m farflow.schema_gate"])


def test_command_fails_when_the_gate_cannot_read_the_database(tmp_path: Path) -> None:
    assert _run_command(tmp_path, gate_exit=1) == (1, ["python -m farflow.schema_gate"])


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
    for machine in stack.of_type("AWS::StepFunctions::StateMachine").values():
        definition = json.dumps(machine["Properties"]["DefinitionString"])
        assert "IntervalSeconds" in definition and "15" in definition
        assert machine["Properties"]["LoggingConfiguration"]["Level"] == "ALL"


def test_functions_run_a_current_python_without_managed_policies(stack: Synthesized) -> None:
    ours = [
        value["Properties"]
        for value in stack.of_type("AWS::Lambda::Function").values()
        if value["Properties"]["Handler"].split(".")[0] in ("migration", "fernet_key", "cluster_tasks")
    ]
    assert len(ours) == 5
    assert {function["Runtime"] for function in ours} == {"python3.14"}


def test_runs_only_after_the_subnets_it_runs_in_have_their_default_route(
    stack: Synthesized, variant: Synthesized
) -> None:
    """Without its route out (NAT gateway; internet gateway without one) it could not pull its image."""
    for synthesized in (stack, variant):
        _assert_after_default_routes(synthesized)


def _assert_after_default_routes(stack: Synthesized) -> None:
    [(_, resource)] = stack.of_type("Custom::FarflowMigration").items()
    subnets = [ref["Ref"] for ref in resource["Properties"]["Subnets"]]
    tables = {
        association["Properties"]["RouteTableId"]["Ref"]
        for association in stack.of_type("AWS::EC2::SubnetRouteTableAssociation").values()
        if association["Properties"]["SubnetId"]["Ref"] in subnets
    }
    routes = {
        key
        for key, route in stack.of_type("AWS::EC2::Route").items()
        if route["Properties"]["RouteTableId"]["Ref"] in tables
        and route["Properties"].get("DestinationCidrBlock") == "0.0.0.0/0"
    }
    assert len(routes) == len(subnets)
    assert routes <= set(resource.get("DependsOn", []))


def test_the_task_deadline_comes_before_the_providers(stack: Synthesized) -> None:
    [(_, resource)] = stack.of_type("Custom::FarflowMigration").items()
    assert int(resource["Properties"]["TimeoutSeconds"]) == TASK_TIMEOUT.to_seconds() < TIMEOUT.to_seconds()


def test_the_check_may_stop_only_tasks_of_this_cluster(stack: Synthesized) -> None:
    [check] = [
        function
        for function in stack.of_type("AWS::Lambda::Function").values()
        if function["Properties"]["Handler"] == "migration.is_complete"
    ]
    role = check["Properties"]["Role"]["Fn::GetAtt"][0]
    ecs = [
        normal(statement)
        for policy in stack.policies_of(role)
        for statement in policy["PolicyDocument"]["Statement"]
        if any(str(action).startswith("ecs:") for action in normal(statement)["Action"])
    ]
    assert ecs == [{"Action": ["ecs:DescribeTasks", "ecs:StopTask"], "Effect": "Allow", "Resource": [TASKS]}]
