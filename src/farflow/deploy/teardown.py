"""What `farflow destroy` needs beyond CloudFormation's own deletes: the cluster's tasks stopped first.

A custom resource (handlers/cluster_tasks.py) stops every task no service owns when the stack is
deleted, and waits until they have stopped, so the cluster can be deleted (ECS refuses while tasks are
active). It depends on the cluster and the named log groups, and every service depends on it:
CloudFormation deletes in reverse dependency order, so the services go first (nothing starts new
tasks), then this, then the cluster and the log groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import CustomResource, Duration, Stack
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from farflow.deploy.cluster import Cluster
from farflow.deploy.functions import handler_function, provider
from farflow.deploy.iam import TEARDOWN_ACTIONS, acknowledge_wildcards, grants

# Fargate stops a container within its stop timeout (120 s at most); this leaves room for many batches.
TIMEOUT = Duration.minutes(20)


@dataclass(frozen=True)
class ClusterTasksProps:
    cluster: Cluster
    function_logs: logs.ILogGroup
    # The constructs that start tasks in the cluster: deleted before the tasks are stopped.
    starters: Sequence[IConstruct]
    # What must outlive the tasks: the named log groups they write to, so a stopping task's last lines
    # still land. (No role here may logs:CreateLogGroup, so a late writer cannot bring a deleted group
    # back and block the next deploy of the same name.)
    outlived_by: Sequence[IConstruct] = ()


class ClusterTasks(Construct):
    """Stops the cluster's standalone tasks before the cluster is deleted."""

    def __init__(self, scope: Construct, construct_id: str, props: ClusterTasksProps) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        given = grants(
            stack, TEARDOWN_ACTIONS, (props.cluster.name, props.cluster.cluster.cluster_arn), [], []
        )
        functions = [
            handler_function(self, name, f"cluster_tasks.{handler}", props.function_logs, Duration.minutes(5))
            for name, handler in (("Stop", "on_event"), ("Check", "is_complete"))
        ]
        for function in functions:
            for grant in given:
                function.add_to_role_policy(grant.statement)
            if function.role is not None:
                acknowledge_wildcards(function.role, given)
        on_event, is_complete = functions
        runner = provider(
            self, "Provider", props.function_logs, on_event, is_complete=is_complete, total_timeout=TIMEOUT
        )
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=runner.service_token,
            resource_type="Custom::FarflowClusterTasks",
            # The cluster's Ref: this resource depends on the cluster, so it is deleted before it.
            properties={"Cluster": props.cluster.cluster.cluster_name},
        )
        # On create nothing starts before the capacity provider association exists; on delete it goes
        # only after the tasks stopped (ECS refuses to remove a provider tasks still use).
        self.resource.node.add_dependency(props.cluster.capacity_providers)
        for starter in props.starters:
            starter.node.add_dependency(self.resource)
        for kept in props.outlived_by:
            self.resource.node.add_dependency(kept)
