"""The load balancer: inbound only from allowed CIDRs, HTTPS on a domain with a certificate, health at the
spec's path, the internal APIs refused, and the api-server trusting its forwarded scheme from the VPC only."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Match

from farflow.deploy.config import LoadBalancerConfig
from farflow.deploy.environment import INTERNAL_PATHS, PROXY_HEADERS
from farflow.deploy.load_balancer import LoadBalancer, LoadBalancerProps
from farflow.deploy.outputs import UI_URL_OUTPUT
from farflow.spec import API_SERVER, WORKER, Names
from tests.support.deploy import CERTIFICATE, DOMAIN, ZONE_ID, Synthesized

BASE_URL = "AIRFLOW__API__BASE_URL"


def _ingress(synthesized: Synthesized) -> set[tuple[str, int]]:
    [group] = [
        value
        for key, value in synthesized.of_type("AWS::EC2::SecurityGroup").items()
        if key.startswith("LoadBalancer")
    ]
    return {
        (rule.get("CidrIp") or rule.get("CidrIpv6"), rule["FromPort"])
        for rule in group["Properties"].get("SecurityGroupIngress", [])
    }


def test_default_is_http_from_the_configured_cidrs(stack: Synthesized) -> None:
    assert _ingress(stack) == {(cidr, 80) for cidr in stack.config.load_balancer.allowed_cidrs}
    [(_, listener)] = stack.of_type("AWS::ElasticLoadBalancingV2::Listener").items()
    assert (listener["Properties"]["Port"], listener["Properties"]["Protocol"]) == (80, "HTTP")
    assert listener["Properties"]["DefaultActions"][0]["Type"] == "forward"
    balancer, _ = stack.one("AWS::ElasticLoadBalancingV2::LoadBalancer")
    # No domain name: the load balancer's own.
    url = {"Fn::Join": ["", ["http://", {"Fn::GetAtt": [balancer, "DNSName"]}]]}
    assert stack.template["Outputs"][UI_URL_OUTPUT]["Value"] == url


def test_certificate_turns_on_https_and_redirects_http(variant: Synthesized) -> None:
    cidrs = variant.config.load_balancer.allowed_cidrs
    assert _ingress(variant) == {(cidr, port) for cidr in cidrs for port in (80, 443)}
    variant.assertions.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {"Port": 443, "Protocol": "HTTPS", "Certificates": [{"CertificateArn": CERTIFICATE}]},
    )
    variant.assertions.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 80,
            "Protocol": "HTTP",
            "DefaultActions": [
                Match.object_like(
                    {
                        "Type": "redirect",
                        "RedirectConfig": Match.object_like({"Protocol": "HTTPS", "Port": "443"}),
                    }
                )
            ],
        },
    )
    assert variant.template["Outputs"][UI_URL_OUTPUT]["Value"] == f"https://{DOMAIN}"


def test_the_domain_gets_an_alias_record_to_the_load_balancer(
    variant: Synthesized, stack: Synthesized
) -> None:
    balancer, _ = variant.one("AWS::ElasticLoadBalancingV2::LoadBalancer")
    _, record = variant.one("AWS::Route53::RecordSet")
    properties = record["Properties"]
    assert (properties["Name"], properties["Type"], properties["HostedZoneId"]) == (
        f"{DOMAIN}.",
        "A",
        ZONE_ID,
    )
    assert properties["AliasTarget"]["DNSName"]["Fn::Join"][1][1] == {"Fn::GetAtt": [balancer, "DNSName"]}
    assert not stack.of_type("AWS::Route53::RecordSet")


def _listeners(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    return synthesized.of_type("AWS::ElasticLoadBalancingV2::Listener")


def _refused_paths(synthesized: Synthesized, listener: str) -> set[str]:
    """The paths a listener answers 403, from its rules (each within ALB's limits per rule)."""
    refused = set()
    for rule in synthesized.of_type("AWS::ElasticLoadBalancingV2::ListenerRule").values():
        properties = rule["Properties"]
        if properties["ListenerArn"] != {"Ref": listener}:
            continue
        [action] = properties["Actions"]
        assert action["Type"] == "fixed-response"
        assert action["FixedResponseConfig"]["StatusCode"] == "403"
        [condition] = properties["Conditions"]
        values = condition["PathPatternConfig"]["Values"]
        # "Up to three match evaluations per condition", "five wildcard characters per rule".
        assert len(values) <= 3
        assert sum(value.count("*") + value.count("?") for value in values) <= 5
        refused |= set(values)
    return refused


@pytest.mark.parametrize("name", ["stack", "variant"])
def test_every_listener_answers_the_internal_apis_403(name: str, request: pytest.FixtureRequest) -> None:
    synthesized: Synthesized = request.getfixturevalue(name)
    listeners = _listeners(synthesized)
    assert len(listeners) == (2 if synthesized.config.load_balancer.certificate_arn else 1)
    expected = {pattern for path in INTERNAL_PATHS for pattern in (path, f"{path}/*")}
    assert expected == {"/execution", "/execution/*", "/edge_worker", "/edge_worker/*"}
    for listener in listeners:
        assert _refused_paths(synthesized, listener) == expected


@pytest.mark.parametrize("name", ["stack", "variant"])
def test_tasks_and_workers_reach_the_api_server_inside_the_vpc(
    name: str, request: pytest.FixtureRequest
) -> None:
    """The 403 cannot break them: they never use the load balancer."""
    synthesized: Synthesized = request.getfixturevalue(name)
    internal = f"http://{API_SERVER.name}.{Names().prefix}.internal:{API_SERVER.port}"
    containers = synthesized.containers()
    task = _environment(containers[Names().airflow_container])
    assert task["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == f"{internal}/execution/"
    if synthesized.config.worker.enabled:
        assert _environment(containers[WORKER.name])["AIRFLOW__EDGE__API_URL"].startswith(
            f"{internal}/edge_worker/"
        )
    else:
        assert WORKER.name not in containers


def _environment(container: dict[str, Any]) -> dict[str, Any]:
    return {item["Name"]: item["Value"] for item in container.get("Environment", [])}


@pytest.mark.parametrize(("name", "secure"), [("stack", "False"), ("variant", "True")])
def test_the_api_server_trusts_forwarded_headers_from_the_public_subnets_only(
    name: str, secure: str, request: pytest.FixtureRequest
) -> None:
    synthesized: Synthesized = request.getfixturevalue(name)
    container = synthesized.containers()[API_SERVER.name]
    assert container["Command"] == [*API_SERVER.command, PROXY_HEADERS]
    environment = _environment(container)
    public = sorted(
        subnet["Properties"]["CidrBlock"]
        for subnet in synthesized.of_type("AWS::EC2::Subnet").values()
        if {"Key": "aws-cdk:subnet-type", "Value": "Public"} in subnet["Properties"].get("Tags", [])
    )
    assert len(public) == 2
    assert sorted(environment["FORWARDED_ALLOW_IPS"].split(",")) == public
    assert environment["AIRFLOW__FAB__COOKIE_SECURE"] == secure


@pytest.mark.parametrize("name", ["stack", "variant"])
def test_every_link_writer_has_the_ui_url_as_base_url(name: str, request: pytest.FixtureRequest) -> None:
    synthesized: Synthesized = request.getfixturevalue(name)
    url = synthesized.template["Outputs"][UI_URL_OUTPUT]["Value"]
    having = {
        container: environment[BASE_URL]
        for container, definition in synthesized.containers().items()
        if BASE_URL in (environment := _environment(definition))
    }
    writers = {API_SERVER.name, "scheduler", "triggerer", "dag-processor"}
    if synthesized.config.worker.enabled:
        writers.add(WORKER.name)
    assert writers <= set(having)
    assert Names().airflow_container in having  # the container every Airflow task runs in
    assert all(value == url for value in having.values())


def test_the_construct_refuses_a_login_open_to_the_internet_over_http() -> None:
    stack = Stack(App(), "Refused", env={"region": "eu-west-1"})
    vpc = ec2.Vpc(stack, "Vpc")
    open_http = LoadBalancerConfig(allowed_cidrs=("0.0.0.0/1", "128.0.0.0/1"))
    with pytest.raises(ValueError, match="whole internet over plain HTTP"):
        LoadBalancer(stack, "LoadBalancer", LoadBalancerProps(open_http, vpc, 30))


def test_target_group_checks_the_api_servers_health_path(stack: Synthesized) -> None:
    stack.assertions.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        {
            "HealthCheckPath": API_SERVER.health_path,
            "Port": API_SERVER.port,
            "TargetType": "ip",
            "Matcher": {"HttpCode": "200"},
        },
    )


def test_internet_facing_in_public_subnets_with_access_logs(stack: Synthesized) -> None:
    _, balancer = stack.one("AWS::ElasticLoadBalancingV2::LoadBalancer")
    properties = balancer["Properties"]
    assert properties["Scheme"] == "internet-facing"
    assert all("Public" in subnet["Ref"] for subnet in properties["Subnets"])
    attributes = {a["Key"]: a["Value"] for a in properties["LoadBalancerAttributes"]}
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    [bucket] = [
        bucket
        for key, bucket in stack.of_type("AWS::S3::Bucket").items()
        if {"Ref": key} == attributes["access_logs.s3.bucket"]
    ]
    assert bucket["Properties"]["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    rules = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rules[0]["ExpirationInDays"] == stack.config.logs.retention_days


def test_a_new_api_server_outlasts_the_checks_that_would_replace_it(stack: Synthesized) -> None:
    """ECS ignores the load balancer's checks of a new api-server task for its grace period; without it,
    UnhealthyThresholdCount failed checks (2 unless set), one an interval, would replace a task still
    starting. A check's timeout must be below its interval (AWS refuses the target group otherwise)."""
    _, group = stack.one("AWS::ElasticLoadBalancingV2::TargetGroup")
    checks = group["Properties"]
    interval, timeout = checks["HealthCheckIntervalSeconds"], checks["HealthCheckTimeoutSeconds"]
    assert timeout < interval
    [grace] = [
        service["Properties"]["HealthCheckGracePeriodSeconds"]
        for service in stack.of_type("AWS::ECS::Service").values()
        if "HealthCheckGracePeriodSeconds" in service["Properties"]
    ]
    assert grace > checks.get("UnhealthyThresholdCount", 2) * interval
    assert {"Key": "deregistration_delay.timeout_seconds", "Value": "30"} in checks["TargetGroupAttributes"]
