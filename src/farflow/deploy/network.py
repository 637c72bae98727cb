"""The VPC over two Availability Zones, its flow log, and the two security groups Airflow runs in.

Subnets (`farflow.deploy.subnet_plan`, the same blocks whatever the NAT gateways): public (the load
balancer, and everything when there is no NAT gateway), private with egress (Airflow and its tasks,
when `network.nat_gateways` > 0; only reserved otherwise) and isolated (the database, always). An S3
gateway endpoint serves the subnets Airflow runs in.
Security groups: `components` for the processes that hold the database credentials (api-server,
scheduler, dag-processor, triggerer, migration), the only ones the database admits; `tasks` for
everything that runs task code (Airflow tasks, workers, tasks/<name> containers).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from farflow.deploy.config import NetworkConfig
from farflow.deploy.subnet_plan import AVAILABILITY_ZONES, PLAN, SubnetGroup, Tier

SUBNET_TYPES = {
    Tier.PUBLIC: ec2.SubnetType.PUBLIC,
    Tier.PRIVATE: ec2.SubnetType.PRIVATE_WITH_EGRESS,
    Tier.DATABASE: ec2.SubnetType.PRIVATE_ISOLATED,
}


@dataclass(frozen=True)
class NetworkProps:
    config: NetworkConfig
    flow_log_group: logs.ILogGroup


class Network(Construct):
    """VPC, flow log, security groups, and where Airflow's containers are placed."""

    def __init__(self, scope: Construct, construct_id: str, props: NetworkProps) -> None:
        super().__init__(scope, construct_id)
        self.has_nat = props.config.nat_gateways > 0
        vpc_prefix = ipaddress.ip_network(props.config.cidr).prefixlen
        subnets = [self._subnet_group(group, vpc_prefix) for group in PLAN]
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(props.config.cidr),
            max_azs=AVAILABILITY_ZONES,
            nat_gateways=props.config.nat_gateways,
            subnet_configuration=subnets,
            flow_logs={
                "all": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_cloud_watch_logs(props.flow_log_group),
                    traffic_type=ec2.FlowLogTrafficType.ALL,
                )
            },
        )
        # Image layers (ECR keeps them in S3) and workload objects reach S3 without NAT processing charges.
        self.vpc.add_gateway_endpoint(
            "S3", service=ec2.GatewayVpcEndpointAwsService.S3, subnets=[self.placement]
        )
        self.components = ec2.SecurityGroup(
            self,
            "Components",
            vpc=self.vpc,
            description="Airflow processes that hold the database credentials",
        )
        self.tasks = ec2.SecurityGroup(
            self,
            "Tasks",
            vpc=self.vpc,
            description="Airflow tasks, Edge workers and the tasks folder containers",
        )

    def _subnet_group(self, group: SubnetGroup, vpc_prefix: int) -> ec2.SubnetConfiguration:
        """One group of the plan; the private one only reserves its space when there is no NAT gateway."""
        return ec2.SubnetConfiguration(
            name=group.name,
            subnet_type=SUBNET_TYPES[group.tier],
            cidr_mask=group.prefix(vpc_prefix),
            reserved=group.tier is Tier.PRIVATE and not self.has_nat,
        )

    def admit_tasks(self, port: int, why: str) -> None:
        """Let what runs in `tasks` reach the components on one port (the api-server's)."""
        self.components.add_ingress_rule(self.tasks, ec2.Port.tcp(port), why)

    @property
    def placement(self) -> ec2.SubnetSelection:
        """Where Airflow's services and tasks run: private subnets, or public ones without a NAT gateway."""
        subnet_type = ec2.SubnetType.PRIVATE_WITH_EGRESS if self.has_nat else ec2.SubnetType.PUBLIC
        return ec2.SubnetSelection(subnet_type=subnet_type)

    @property
    def assign_public_ip(self) -> bool:
        """Without a NAT gateway a task in a public subnet needs a public IP to reach ECR and AWS APIs."""
        return not self.has_nat

    @property
    def task_subnet_ids(self) -> list[str]:
        return self.vpc.select_subnets(subnet_type=self.placement.subnet_type).subnet_ids

    @property
    def database_subnets(self) -> ec2.SubnetSelection:
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)


@dataclass(frozen=True)
class Placement:
    """Where one kind of container runs: subnets, its security group, whether it needs a public IP."""

    subnets: ec2.SubnetSelection
    subnet_ids: list[str]
    security_group: ec2.ISecurityGroup
    assign_public_ip: bool


def placement(network: Network, security_group: ec2.ISecurityGroup) -> Placement:
    return Placement(network.placement, network.task_subnet_ids, security_group, network.assign_public_ip)
