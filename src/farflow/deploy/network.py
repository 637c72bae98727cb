"""The VPC over two Availability Zones, its flow log, and the two security groups Airflow runs in.

Subnets: public (the load balancer, and everything when there is no NAT gateway), private with egress
(Airflow and its tasks, when `network.nat_gateways` > 0) and isolated (the database, always).
Security groups: `components` for the processes that hold the database credentials (api-server,
scheduler, dag-processor, triggerer, migration), the only ones the database admits; `tasks` for
everything that runs task code (Airflow tasks, workers, tasks/<name> containers).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from farflow.deploy.config import NetworkConfig

AVAILABILITY_ZONES = 2


@dataclass(frozen=True)
class NetworkProps:
    config: NetworkConfig
    flow_log_group: logs.ILogGroup


class Network(Construct):
    """VPC, flow log, security groups, and where Airflow's containers are placed."""

    def __init__(self, scope: Construct, construct_id: str, props: NetworkProps) -> None:
        super().__init__(scope, construct_id)
        self.has_nat = props.config.nat_gateways > 0
        subnets = [
            ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=22),
            ec2.SubnetConfiguration(
                name="Database", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
            ),
        ]
        if self.has_nat:
            subnets.insert(
                1,
                ec2.SubnetConfiguration(
                    name="Private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20
                ),
            )
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
