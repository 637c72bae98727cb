"""The ECS cluster every service and task runs in, and the private DNS namespace tasks reach Airflow by.

The namespace is Cloud Map (DNS), not Service Connect: the executor's Airflow tasks are started with
RunTask, and Service Connect names resolve only inside ECS services.

The cluster has the FARGATE and FARGATE_SPOT capacity providers associated (`farflow.spec.cluster`):
without them ECS refuses every RunTask that asks for Spot or names a provider. No default strategy is
set, so a RunTask without one still needs its launch type (the executor sends FARGATE).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_servicediscovery as servicediscovery
from constructs import Construct, IDependable

from farflow.deploy.containers import port_of
from farflow.spec import Component, Names


@dataclass(frozen=True)
class ClusterProps:
    # The cluster's name and its namespace's come from the prefix.
    names: Names
    vpc: ec2.IVpc


class Cluster(Construct):
    """The cluster (named from `Names`, so DAGs and the executor find it) with Container Insights."""

    def __init__(self, scope: Construct, construct_id: str, props: ClusterProps) -> None:
        super().__init__(scope, construct_id)
        # The literal name (not a token), so IAM ARNs built from it read as they will in the account.
        self.name = props.names.cluster
        self.namespace_name = f"{props.names.prefix}.internal"
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            cluster_name=props.names.cluster,
            vpc=props.vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
            # AWS::ECS::ClusterCapacityProviderAssociations with exactly the spec's CAPACITY_PROVIDERS
            # (tests/unit/deploy/test_local_and_deploy_agree.py checks they stay equal).
            enable_fargate_capacity_providers=True,
        )
        # The CDK adds the AWS::ECS::ClusterCapacityProviderAssociations below the cluster construct at
        # synth (an aspect), after this constructor: a dependency on the construct reaches it, since the
        # CDK resolves construct dependencies to the resources below them after the aspects ran.
        self.capacity_providers: IDependable = self.cluster
        self.namespace = servicediscovery.PrivateDnsNamespace(
            self, "Namespace", name=self.namespace_name, vpc=props.vpc, description="Airflow inside the VPC"
        )

    def internal_url(self, component: Component) -> str:
        """How tasks and workers reach a component registered in this namespace under its name."""
        return f"http://{component.name}.{self.namespace_name}:{port_of(component)}"
