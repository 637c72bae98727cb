"""The VPC: two Availability Zones, flow logs, NAT gateways as configured, the database isolated on
subnets that stay put whatever the NAT gateways, and an S3 gateway endpoint."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from farflow.deploy.config import DeployConfig, NetworkConfig
from farflow.deploy.config_rules import problems
from farflow.deploy.subnet_plan import PLAN, VPC_PREFIXES, plan_problem, subnet_blocks
from tests.support.deploy import REGION, Synthesized


def test_two_availability_zones_and_three_tiers(stack: Synthesized) -> None:
    subnets = stack.of_type("AWS::EC2::Subnet")
    assert sorted(key.split("Subnet")[0].removeprefix("NetworkVpc") for key in subnets) == [
        "Database",
        "Database",
        "Private",
        "Private",
        "Public",
        "Public",
    ]
    assert len(stack.of_type("AWS::EC2::NatGateway")) == stack.config.network.nat_gateways
    _, vpc = stack.one("AWS::EC2::VPC")
    assert vpc["Properties"]["CidrBlock"] == stack.config.network.cidr


def test_without_nat_there_are_no_private_subnets_and_no_nat(variant: Synthesized) -> None:
    """The private group's space stays reserved, so nothing after it moves (see the next tests)."""
    assert variant.of_type("AWS::EC2::NatGateway") == {}
    assert not [key for key in variant.of_type("AWS::EC2::Subnet") if "Private" in key]


def test_flow_logs_capture_all_traffic_to_cloudwatch(stack: Synthesized) -> None:
    _, flow_log = stack.one("AWS::EC2::FlowLog")
    assert flow_log["Properties"]["TrafficType"] == "ALL"
    assert flow_log["Properties"]["LogDestinationType"] == "cloud-watch-logs"
    group = flow_log["Properties"]["LogGroupName"]["Ref"]
    assert stack.resources[group]["Properties"]["RetentionInDays"] == stack.config.logs.retention_days


def test_tasks_reach_the_api_server_port_and_nothing_else_is_opened_to_them(stack: Synthesized) -> None:
    from_tasks = [
        rule["Properties"]
        for rule in stack.of_type("AWS::EC2::SecurityGroupIngress").values()
        if rule["Properties"]
        .get("SourceSecurityGroupId", {})
        .get("Fn::GetAtt", [""])[0]
        .startswith("NetworkTasks")
    ]
    assert [(rule["FromPort"], rule["ToPort"]) for rule in from_tasks] == [(8080, 8080)]
    assert from_tasks[0]["GroupId"]["Fn::GetAtt"][0].startswith("NetworkComponents")


def subnets_of(stack: Synthesized, group: str) -> dict[str, tuple[str, Any]]:
    """One group's subnets: logical id -> (CidrBlock, AvailabilityZone)."""
    return {
        key: (subnet["Properties"]["CidrBlock"], subnet["Properties"]["AvailabilityZone"])
        for key, subnet in stack.of_type("AWS::EC2::Subnet").items()
        if key.startswith(f"NetworkVpc{group}Subnet")
    }


def test_the_database_subnets_do_not_move_when_nat_gateways_change(
    stack: Synthesized, variant: Synthesized
) -> None:
    """CloudFormation replaces a subnet whose block changes, and RDS cannot leave a subnet it runs in:
    the database subnets must be the same resources, on the same blocks, with 0 and 1 NAT gateways."""
    assert (stack.config.network.nat_gateways, variant.config.network.nat_gateways) == (1, 0)
    assert subnets_of(stack, "Database") == subnets_of(variant, "Database")
    assert len(subnets_of(stack, "Database")) == 2
    [(_, with_nat)] = stack.of_type("AWS::RDS::DBSubnetGroup").items()
    [(_, without_nat)] = variant.of_type("AWS::RDS::DBSubnetGroup").items()
    assert with_nat["Properties"]["SubnetIds"] == without_nat["Properties"]["SubnetIds"]


@pytest.mark.parametrize("which", ["stack", "variant"])
def test_the_synthesized_blocks_are_the_plans(which: str, request: pytest.FixtureRequest) -> None:
    synthesized: Synthesized = request.getfixturevalue(which)
    planned = subnet_blocks(synthesized.config.network.cidr)
    groups = [
        group.name for group in PLAN if group.name != "Private" or synthesized.config.network.nat_gateways
    ]
    for group in groups:
        assert [block for block, _ in subnets_of(synthesized, group).values()] == planned[group]


def route_tables(stack: Synthesized, group: str) -> list[dict[str, str]]:
    return [
        {"Ref": key}
        for key in stack.of_type("AWS::EC2::RouteTable")
        if key.startswith(f"NetworkVpc{group}Subnet")
    ]


@pytest.mark.parametrize(("which", "group"), [("stack", "Private"), ("variant", "Public")])
def test_an_s3_gateway_endpoint_serves_the_subnets_airflow_runs_in(
    which: str, group: str, request: pytest.FixtureRequest
) -> None:
    synthesized: Synthesized = request.getfixturevalue(which)
    _, endpoint = synthesized.one("AWS::EC2::VPCEndpoint")
    assert endpoint["Properties"]["VpcEndpointType"] == "Gateway"
    assert endpoint["Properties"]["ServiceName"]["Fn::Join"][1][-1] == ".s3"
    assert sorted(endpoint["Properties"]["RouteTableIds"], key=str) == sorted(
        route_tables(synthesized, group), key=str
    )
    assert len(endpoint["Properties"]["RouteTableIds"]) == 2


def network_template(config: NetworkConfig) -> dict[str, Any]:
    """A stack of the Network construct alone: a second whole-app synth would cost the shared cores more."""
    from aws_cdk import App, Environment, Stack
    from aws_cdk import aws_logs as logs

    from farflow.deploy.network import Network, NetworkProps

    app = App()
    stack = Stack(app, "NetworkOnly", env=Environment(region=REGION, account="123456789012"))
    Network(stack, "Network", NetworkProps(config, logs.LogGroup(stack, "FlowLogs")))
    return dict(app.synth().get_stack_by_name("NetworkOnly").template)


def test_the_smallest_vpc_passes_validation_and_synthesizes_with_nat() -> None:
    smallest = NetworkConfig(cidr=f"10.8.0.0/{VPC_PREFIXES[1]}", nat_gateways=1)
    assert not problems(replace(DeployConfig(), network=smallest))
    template = network_template(smallest)
    blocks = sorted(
        resource["Properties"]["CidrBlock"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::EC2::Subnet"
    )
    assert blocks == sorted(block for group in subnet_blocks(smallest.cidr).values() for block in group)


@pytest.mark.parametrize("prefix", range(VPC_PREFIXES[0], VPC_PREFIXES[1] + 1))
def test_every_accepted_prefix_holds_the_plan_in_subnets_aws_allows(prefix: int) -> None:
    blocks = subnet_blocks(f"10.0.0.0/{prefix}")
    sizes = [int(block.split("/")[1]) for group in blocks.values() for block in group]
    assert all(16 <= size <= 28 for size in sizes)
    assert plan_problem(prefix) is None


@pytest.mark.parametrize("prefix", [8, 15, VPC_PREFIXES[1] + 1, 24, 28])
def test_a_prefix_outside_the_plan_is_refused_in_one_line_naming_the_key(prefix: int) -> None:
    config = replace(DeployConfig(), network=NetworkConfig(cidr=f"10.0.0.0/{prefix}"))
    [found] = problems(config)
    assert found.startswith(f'[network] cidr = "10.0.0.0/{prefix}": ')
    assert "\n" not in found
    with pytest.raises(ValueError, match="not a /16 to /20 block"):
        subnet_blocks(f"10.0.0.0/{prefix}")
