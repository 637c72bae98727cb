"""The load balancer: inbound only from allowed CIDRs, HTTPS with a certificate, health at the spec's path."""

from __future__ import annotations

from aws_cdk.assertions import Match

from farflow.deploy.outputs import UI_URL_OUTPUT
from farflow.spec import API_SERVER
from tests.support.deploy import CERTIFICATE, Synthesized


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
    assert "http://" in str(stack.template["Outputs"][UI_URL_OUTPUT]["Value"])


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
    assert "https://" in str(variant.template["Outputs"][UI_URL_OUTPUT]["Value"])


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
