"""The stack's CloudWatch log groups, named from `Names`, all kept `logs.retention_days`.

- airflow: the containers of Airflow's services, the migration and every Airflow task (awslogs driver);
- tasks: the tasks/<name> containers, which the sample DAG's operators read back;
- remote: Airflow's remote task logs, which the UI shows after a task's container is gone;
- flow: the VPC's flow log;
- functions: the stack's Lambda functions (custom resources) and their provider framework.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Construct

from farflow.deploy.config import LogsConfig
from farflow.deploy.nag import acknowledge_checkov
from farflow.spec import Names


@dataclass(frozen=True)
class LogGroupsProps:
    config: LogsConfig
    names: Names


class LogGroups(Construct):
    """One log group per kind of output; destroyed with the stack so a redeploy can reuse the names."""

    def __init__(self, scope: Construct, construct_id: str, props: LogGroupsProps) -> None:
        super().__init__(scope, construct_id)
        self._retention = props.config.retention_days
        self.airflow = self._group("Airflow", props.names.airflow_log_group)
        self.tasks = self._group("Tasks", props.names.task_log_group)
        self.remote = self._group("RemoteTaskLogs", props.names.remote_log_group)
        self.flow = self._group("FlowLogs", None)
        self.functions = self._group("Functions", None)
        # The named groups, by the names the spec's shapes and `Names` give them.
        self.by_name: dict[str, logs.ILogGroup] = {
            props.names.airflow_log_group: self.airflow,
            props.names.task_log_group: self.tasks,
            props.names.remote_log_group: self.remote,
        }

    def _group(self, construct_id: str, name: str | None) -> logs.LogGroup:
        group = logs.LogGroup(
            self,
            construct_id,
            log_group_name=name,
            retention=retention(self._retention),
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge_checkov(group, "CKV_AWS_158", SERVICE_ENCRYPTION)
        return group


SERVICE_ENCRYPTION = (
    "CloudWatch Logs encrypts every log group at rest; reading one takes logs: permissions on it, which "
    "this stack grants only to the roles that read it. A customer managed key would add a key with a "
    "policy for the Logs service, and $1 a month."
)


# CloudWatch accepts only these retentions (days), in the order of CDK's RetentionDays members.
_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


def retention(days: int) -> logs.RetentionDays:
    """CDK's RetentionDays for `days`; any other number is an error that lists the allowed ones."""
    members = [member for member in logs.RetentionDays if member is not logs.RetentionDays.INFINITE]
    by_days = dict(zip(_DAYS, members, strict=True))
    if days not in by_days:
        raise ValueError(
            f"logs.retention_days = {days} is not a CloudWatch retention; use one of {list(_DAYS)}"
        )
    return by_days[days]
