"""The internet-facing Application Load Balancer in front of the api-server.

Inbound only from `load_balancer.allowed_cidrs`. With `certificate_arn`, HTTPS on 443 and HTTP
redirects to it; without, plain HTTP on 80 (farflow.toml refuses that open to the whole internet).
Users open the UI at `domain_name` when set (a Route 53 alias record with a hosted zone), else at the
load balancer's own name. Every listener answers the tasks' and workers' APIs 403: those are for the
VPC. Access logs go to an encrypted S3 bucket that refuses plain HTTP and expires objects after
`logs.retention_days`.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as route53_targets
from aws_cdk import aws_s3 as s3
from constructs import Construct

from farflow.deploy.config import LoadBalancerConfig
from farflow.deploy.config_rules import world_open
from farflow.deploy.environment import INTERNAL_PATHS
from farflow.deploy.nag import acknowledge, acknowledge_checkov
from farflow.spec import Component

# Before the forward (the default action). A rule holds one path condition of at most three values and
# five wildcards ("Listener rules for your Application Load Balancer", Elastic Load Balancing docs), so
# one rule per internal API: the path itself and everything below it. ALB compares paths case-sensitively,
# as the api-server routes them.
# The api-server's target group, against an ALB target group's defaults (Elastic Load Balancing User
# Guide, "Health checks for Application Load Balancer target groups": interval 30 s, timeout 5 s for HTTP,
# 2 failed checks to be unhealthy; "Edit target group attributes": deregistration delay 300 s).
# A stopping api-server task gets this long to finish its requests in flight: UI pages and REST calls
# take seconds, and the default's five minutes would make every rollout and scale-in wait that long.
DEREGISTRATION_DELAY = Duration.seconds(30)
# ALB's default: two failed checks take a hung api-server out within a minute.
HEALTH_CHECK_INTERVAL = Duration.seconds(30)
# Twice ALB's default: /api/v2/monitor/health queries the metadata database and the scheduler's
# heartbeat, which a busy database slows past 5 s without the api-server being unhealthy.
HEALTH_CHECK_TIMEOUT = Duration.seconds(10)
# ECS ignores the load balancer's checks of a new api-server task for this long: pulling the image,
# importing Airflow and starting its workers can outlast the two failed checks (a minute) that would
# otherwise replace it before it ever answered (AirflowServiceProps.health_check_grace).
STARTUP_GRACE = Duration.minutes(5)

INTERNAL_PRIORITY = 1
INTERNAL_BODY = "Not served here: this API is for Airflow's tasks and workers inside the VPC."
OPEN_UI = (
    "[load_balancer] allowed_cidrs in farflow.toml opens the UI to the internet, over HTTPS only "
    "and behind Airflow's login; narrow it to your network."
)
PLAIN_HTTP = (
    "[load_balancer] certificate_arn is empty in farflow.toml: the UI is served over plain HTTP, to "
    "[load_balancer] allowed_cidrs only; set an ACM certificate to serve HTTPS (TLS 1.2+) and redirect "
    "HTTP to it."
)


@dataclass(frozen=True)
class LoadBalancerProps:
    config: LoadBalancerConfig
    vpc: ec2.IVpc
    # How long the access logs are kept (`logs.retention_days`).
    log_retention_days: int


class LoadBalancer(Construct):
    """ALB and access logs; `url` is where users open the UI; `serve` points it at the api-server."""

    def __init__(self, scope: Construct, construct_id: str, props: LoadBalancerProps) -> None:
        super().__init__(scope, construct_id)
        config = props.config
        https = bool(config.certificate_arn)
        if not https and world_open(config.allowed_cidrs):
            # farflow.toml refuses this with the fix (config_rules); a config built in code must not slip by.
            raise ValueError(
                "[load_balancer] allowed_cidrs opens the login to the whole internet over plain HTTP; "
                "narrow it or set certificate_arn and domain_name."
            )
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=props.vpc,
            description="Airflow UI load balancer",
            allow_all_outbound=False,
        )
        for port in (80, 443) if https else (80,):
            for cidr in config.allowed_cidrs:
                peer = ec2.Peer.ipv6(cidr) if ":" in cidr else ec2.Peer.ipv4(cidr)
                self.security_group.add_ingress_rule(peer, ec2.Port.tcp(port), f"Airflow UI from {cidr}")
        if world_open(config.allowed_cidrs):
            acknowledge(self.security_group, "EC23", OPEN_UI)
            acknowledge_checkov(self.security_group, "CKV_AWS_260", OPEN_UI)
        self.alb = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=props.vpc,
            internet_facing=True,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            security_group=self.security_group,
            drop_invalid_header_fields=True,
        )
        self.alb.log_access_logs(self._access_log_bucket(props.log_retention_days), prefix="alb")
        self._config = config
        self._vpc = props.vpc
        host = config.domain_name or self.alb.load_balancer_dns_name
        # Airflow's base_url and the UiUrl output: the name the certificate covers, not the ALB's own.
        self.url = f"{'https' if https else 'http'}://{host}"
        if config.hosted_zone_id:
            self._alias_record(config)

    def _alias_record(self, config: LoadBalancerConfig) -> None:
        """`domain_name` in the hosted zone, an alias to the load balancer (IPv4: the ALB is IPv4-only)."""
        zone = route53.HostedZone.from_hosted_zone_attributes(
            self, "Zone", hosted_zone_id=config.hosted_zone_id, zone_name=config.hosted_zone_name
        )
        route53.ARecord(
            self,
            "Alias",
            zone=zone,
            record_name=f"{config.domain_name}.",
            target=route53.RecordTarget.from_alias(route53_targets.LoadBalancerTarget(self.alb)),
            comment="The Airflow UI",
        )

    def serve(self, service: ecs.FargateService, container_name: str, component: Component) -> None:
        """Forward to `component`'s container of `service`, checked at the component's health path."""
        config = self._config
        target_group = elbv2.ApplicationTargetGroup(
            self,
            "ApiServer",
            vpc=self._vpc,
            port=component.port,
            protocol=elbv2.ApplicationProtocol.HTTP,
            target_type=elbv2.TargetType.IP,
            deregistration_delay=DEREGISTRATION_DELAY,
            health_check=elbv2.HealthCheck(
                path=component.health_path,
                healthy_http_codes="200",
                interval=HEALTH_CHECK_INTERVAL,
                timeout=HEALTH_CHECK_TIMEOUT,
            ),
            targets=[
                service.load_balancer_target(container_name=container_name, container_port=component.port)
            ],
        )
        if config.certificate_arn:
            listeners = [
                self.alb.add_listener(
                    "Https",
                    port=443,
                    protocol=elbv2.ApplicationProtocol.HTTPS,
                    open=False,
                    certificates=[elbv2.ListenerCertificate.from_arn(config.certificate_arn)],
                    ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
                    default_target_groups=[target_group],
                ),
                self.alb.add_redirect(source_port=80, target_port=443, open=False),
            ]
        else:
            listener = self.alb.add_listener(
                "Http",
                port=80,
                protocol=elbv2.ApplicationProtocol.HTTP,
                open=False,
                default_target_groups=[target_group],
            )
            for check in ("CKV_AWS_2", "CKV_AWS_103"):
                acknowledge_checkov(listener, check, PLAIN_HTTP)
            listeners = [listener]
        for listener in listeners:
            _refuse_internal_paths(listener)

    def _access_log_bucket(self, retention_days: int) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # what ALB log delivery supports (not KMS)
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(retention_days))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        no_access_logs = (
            "This bucket holds the load balancer's access logs; logging access to the log bucket itself "
            "would need yet another bucket."
        )
        acknowledge(bucket, "S1", no_access_logs)
        acknowledge_checkov(bucket, "CKV_AWS_18", no_access_logs)
        acknowledge_checkov(
            bucket,
            "CKV_AWS_21",
            "The load balancer writes each log object once and never overwrites it; objects expire after "
            "[logs] retention_days, and versions would only keep them longer.",
        )
        return bucket


def _refuse_internal_paths(listener: elbv2.ApplicationListener) -> None:
    """403 for the execution and Edge APIs, ahead of the listener's default action."""
    for offset, path in enumerate(INTERNAL_PATHS):
        listener.add_action(
            f"Refuse{path.strip('/').title().replace('_', '')}",
            priority=INTERNAL_PRIORITY + offset,
            conditions=[elbv2.ListenerCondition.path_patterns([path, f"{path}/*"])],
            action=elbv2.ListenerAction.fixed_response(
                403, content_type="text/plain", message_body=INTERNAL_BODY
            ),
        )
