"""The VPC: two Availability Zones, flow logs, NAT gateways as configured, the database isolated."""

from __future__ import annotations

from tests.support.deploy import Synthesized


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
