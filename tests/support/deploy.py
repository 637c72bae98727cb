"""The deploy tests' synthesized stacks: each configuration synthesized once per session, offline.

Two configurations cover the choices: the defaults (with a Region, which synth needs; HTTP from the
placeholder address), and a variant with no NAT gateway, HTTPS on a domain name with its Route 53
record, open to the internet (allowed behind HTTPS), a non-default database port, Multi-AZ, no
deletion protection, no worker pool, Airflow options, the Secrets Manager backend, two api-servers and two
schedulers, an address for the alarms, and the project's own grants (`[permissions]`: statements with a
wildcard, a Deny with a condition and managed policies, on the Airflow task role and tasks/number_task's). Each is synthesized once per pytest session into the session's
base temp folder (jsii and the CDK are slow on two shared cores), whichever test folder asks first;
tests read the JSON. The defaults are what the project's farflow.toml says, and are synthesized as
cdk.json does it: the app's entry point (`farflow.deploy.app.main`) with the toolkit's CDK_OUTDIR.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

from farflow.deploy.config import (
    AirflowConfig,
    AlarmsConfig,
    DatabaseConfig,
    DeployConfig,
    LoadBalancerConfig,
    NetworkConfig,
    ProjectConfig,
    ScaledService,
    WorkerConfig,
)
from farflow.scaffold import init_project
from farflow.spec.airflow_options import AirflowOption
from farflow.spec.project_permissions import ProjectPermissions, ProjectStatement, RoleGrants

REGION = "eu-west-1"
DATA = "arn:aws:s3:::my-data"
AWS_MANAGED = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
OWN_MANAGED = "arn:aws:iam::123456789012:policy/team-data"
PERMISSIONS = ProjectPermissions(
    airflow_task=RoleGrants(
        managed_policies=(AWS_MANAGED, OWN_MANAGED),
        statements=(
            ProjectStatement(("s3:GetObject", "s3:List*"), (DATA, f"{DATA}/*")),
            ProjectStatement(
                ("s3:DeleteObject",),
                (f"{DATA}/*",),
                effect="Deny",
                conditions={"StringNotEquals": {"aws:PrincipalTag/team": "data"}},
            ),
        ),
    ),
    tasks=(
        (
            "number_task",
            RoleGrants(
                managed_policies=("arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",),
                statements=(ProjectStatement(("s3:PutObject",), (f"{DATA}/numbers/*",)),),
            ),
        ),
    ),
)
CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
DOMAIN = "airflow.example.com"
ZONE_ID = "Z0123456789ABCDEFGHIJ"
DEFAULT = DeployConfig(project=ProjectConfig(region=REGION))
VARIANT = replace(
    DEFAULT,
    network=NetworkConfig(nat_gateways=0),
    database=DatabaseConfig(port=6543, multi_az=True, deletion_protection=False),
    load_balancer=LoadBalancerConfig(
        allowed_cidrs=("0.0.0.0/0", "2001:db8::/32"),
        certificate_arn=CERTIFICATE,
        domain_name=DOMAIN,
        hosted_zone_id=ZONE_ID,
        hosted_zone_name="example.com",
    ),
    worker=WorkerConfig(enabled=False),
    alarms=AlarmsConfig(email="ops@example.com"),
    permissions=PERMISSIONS,
    airflow=AirflowConfig(
        secrets="secrets-manager",
        options=(
            AirflowOption("core", "parallelism", 64),
            AirflowOption("scheduler", "max_tis_per_query", 16),
            AirflowOption("scheduler", "task_queued_timeout", 1200.0),
        ),
    ).with_sizes(api_server=ScaledService(1024, 2048, count=2), scheduler=ScaledService(1024, 2048, count=2)),
)


@dataclass
class Synthesized:
    """One synthesized stack: its config, cloud assembly folder, template JSON and synth seconds."""

    config: DeployConfig
    outdir: Path
    template: dict[str, Any]
    seconds: float
    via_app: bool  # synthesized by the app's entry point from the project's farflow.toml
    resources: dict[str, dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.resources = self.template["Resources"]

    @property
    def assertions(self) -> Any:
        """aws_cdk.assertions.Template over the synthesized JSON (no second synth)."""
        # Imported here, after farflow.deploy has pointed jsii at the bundled Node.js.
        from aws_cdk.assertions import Template

        return Template.from_json(self.template)

    @property
    def template_path(self) -> Path:
        return self.outdir / "farflow.template.json"

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {key: value for key, value in self.resources.items() if value["Type"] == resource_type}

    def one(self, resource_type: str) -> tuple[str, dict[str, Any]]:
        [(key, value)] = self.of_type(resource_type).items()
        return key, value

    def containers(self) -> dict[str, dict[str, Any]]:
        """Container definitions by container name: each task definition's first, its own (a service's
        second is the metrics agent, farflow.deploy.metrics_agent)."""
        found = {}
        for resource in self.of_type("AWS::ECS::TaskDefinition").values():
            container = resource["Properties"]["ContainerDefinitions"][0]
            found[container["Name"]] = container
        return found

    def task_definition_of(self, container_name: str) -> tuple[str, dict[str, Any]]:
        for key, resource in self.of_type("AWS::ECS::TaskDefinition").items():
            if resource["Properties"]["ContainerDefinitions"][0]["Name"] == container_name:
                return key, resource
        raise KeyError(container_name)

    def service_of(self, container_name: str) -> tuple[str, dict[str, Any]]:
        task_definition, _ = self.task_definition_of(container_name)
        for key, resource in self.of_type("AWS::ECS::Service").items():
            if resource["Properties"]["TaskDefinition"] == {"Ref": task_definition}:
                return key, resource
        raise KeyError(container_name)

    def role_of(self, container_name: str, attribute: str = "TaskRoleArn") -> str:
        """Logical id of a task definition's task role (or ExecutionRoleArn)."""
        _, resource = self.task_definition_of(container_name)
        return str(resource["Properties"][attribute]["Fn::GetAtt"][0])

    def acknowledgements(self) -> list[tuple[str, str, str]]:
        """(construct path, `AwsSolutions-RULE[finding]`, reason) of each acknowledgement cdk-nag honoured.

        Read from the cloud assembly's metadata; aws-cdk-lib's acknowledgements of its own
        CloudFormation-Validate findings are left out.
        """
        metadata = json.loads((self.outdir / "farflow.metadata.json").read_text())
        return [
            (path, rule.removeprefix("Annotation::"), reason)
            for path, entries in metadata.items()
            for entry in entries
            if entry["type"] == "aws:cdk:acknowledged-rules"
            for rule, reason in entry["data"].items()
            if "AwsSolutions-" in rule
        ]

    def checkov_skips(self) -> list[tuple[str, str, str]]:
        """(logical id, `CKV_...`, reason) of each checkov acknowledgement written into the template."""
        return [
            (logical_id, skip["id"], skip["comment"])
            for logical_id, resource in self.resources.items()
            for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
        ]

    @cached_property
    def logical_paths(self) -> dict[str, str]:
        """Logical id -> construct path, from the cloud assembly's metadata."""
        metadata = json.loads((self.outdir / "farflow.metadata.json").read_text())
        return {
            entry["data"]: path
            for path, entries in metadata.items()
            for entry in entries
            if entry["type"] == "aws:cdk:logicalId"
        }

    def construct_path(self, logical_id: str) -> str:
        """The construct path below the stack of a resource (`Logs/Airflow` for its `.../Resource`)."""
        return self.logical_paths[logical_id].removeprefix("/farflow/").removesuffix("/Resource")

    def needs(self, logical_id: str) -> set[str]:
        """Every resource CloudFormation creates before `logical_id` (and deletes after it): the closure of
        its DependsOn, Ref and Fn::GetAtt (and `${...}` in Fn::Sub) over the template."""
        seen: set[str] = set()
        todo = [logical_id]
        while todo:
            for needed in self.direct_needs(todo.pop()) - seen:
                seen.add(needed)
                todo.append(needed)
        return seen

    def direct_needs(self, logical_id: str) -> set[str]:
        resource = self.resources[logical_id]
        depends = resource.get("DependsOn", [])
        found = {depends} if isinstance(depends, str) else set(depends)
        _references(resource.get("Properties", {}), found)
        return found & self.resources.keys()

    def policies_of(self, role: str) -> list[dict[str, Any]]:
        return [
            resource["Properties"]
            for resource in self.of_type("AWS::IAM::Policy").values()
            if {"Ref": role} in resource["Properties"].get("Roles", [])
        ]


def _references(value: Any, found: set[str]) -> None:
    """Collect the logical ids `value` refers to (Ref, Fn::GetAtt, Fn::Sub's `${Id}` and `${Id.Attr}`)."""
    if isinstance(value, list):
        for item in value:
            _references(item, found)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                found.add(item[0] if isinstance(item, list) else str(item).split(".")[0])
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) else item
                found.update(name.split(".")[0] for name in re.findall(r"\$\{([^!}][^}]*)\}", str(text)))
                if isinstance(item, list):
                    _references(item[1:], found)
            else:
                _references(item, found)


def synthesized(factory: pytest.TempPathFactory, name: str, config: DeployConfig) -> Synthesized:
    """The stack for `config`, synthesized on first use in this session and read back after."""
    base = factory.getbasetemp()
    from farflow.deploy.app import OUTDIR_VARIABLE, main, synth

    project = base / "deploy-project"
    if not project.exists():
        init_project(project)
        settings = project / "farflow.toml"
        settings.write_text(re.sub(r'(?m)^region = ".*"$', f'region = "{REGION}"', settings.read_text()))
    outdir = base / f"deploy-cdk.out.{name}"
    template = outdir / "farflow.template.json"
    seconds = 0.0
    via_app = config == DEFAULT  # what the project's farflow.toml says
    if not template.exists():
        started = time.monotonic()
        if via_app:
            before = os.environ.get(OUTDIR_VARIABLE)
            os.environ[OUTDIR_VARIABLE] = str(outdir)
            try:
                assert main(["--project", str(project)]) == 0
            finally:
                os.environ.pop(OUTDIR_VARIABLE)
                if before is not None:
                    os.environ[OUTDIR_VARIABLE] = before
        else:
            synth(project, config, outdir)
        seconds = time.monotonic() - started
    return Synthesized(config, outdir, json.loads(template.read_text()), seconds, via_app)
