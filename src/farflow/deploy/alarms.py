"""The stack's alarms, their SNS topic and one dashboard.

Alarms: the scheduler's heartbeat missing (Airflow's `scheduler_heartbeat` counter, through the metrics
agent), a task queued longer than half of `[scheduler] task_queued_timeout` (farflow's
`ecs_fargate.oldest_queued_seconds`, so it fires before Airflow gives up on the task), the task events
dead-letter queue holding a message, and the database's CPU, free storage and connections. A service
deployment that fails and rolls back (the circuit breaker) is an ECS event, not a metric: an EventBridge
rule sends ECS's "ECS Deployment State Change" event with SERVICE_DEPLOYMENT_FAILED to the same topic
(Amazon ECS Developer Guide, "Amazon ECS service deployment events").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from farflow.deploy.database_connections import alarm_threshold
from farflow.deploy.nag import acknowledge, acknowledge_checkov
from farflow.spec import SCHEDULER, Names
from farflow.spec.metrics import OLDEST_QUEUED, SCHEDULER_HEARTBEAT, STATSD_PREFIX, namespace

MINUTE = Duration.minutes(1)
# Minutes without a scheduler heartbeat before the alarm (Airflow beats every few seconds).
HEARTBEAT_MINUTES = 3
CPU_PERCENT = 80
FREE_STORAGE_SHARE = 0.1
GIB = 1024**3


@dataclass(frozen=True)
class AlarmsProps:
    names: Names
    email: str
    # Seconds: Airflow's [scheduler] task_queued_timeout as farflow.toml leaves it.
    task_queued_timeout: float
    services: Mapping[str, ecs.FargateService]
    database: rds.DatabaseInstance
    allocated_storage_gb: int
    # RDS's class (without "db."): the connections alarm fires at 80% of its default max_connections.
    instance_class: str
    dead_letters: sqs.IQueue


def statsd_metric(names: Names, name: str, statistic: str, metric_type: str) -> cloudwatch.Metric:
    """A metric the agent publishes: StatsD's name, with the `metric_type` dimension (counter, gauge,
    timing) the agent adds to every StatsD metric (its own test suite queries `metric_type=counter`:
    aws/amazon-cloudwatch-agent-test pull request 221)."""
    return cloudwatch.Metric(
        namespace=namespace(names),
        metric_name=name,
        dimensions_map={"metric_type": metric_type},
        statistic=statistic,
        period=MINUTE,
    )


class Alarms(Construct):
    """One topic, the alarms that publish to it, and the dashboard."""

    def __init__(self, scope: Construct, construct_id: str, props: AlarmsProps) -> None:
        super().__init__(scope, construct_id)
        names = props.names
        self.topic = sns.Topic(self, "Topic", topic_name=f"{names.prefix}-alarms", enforce_ssl=True)
        no_key = (
            "Alarm notifications carry alarm names and states, no data; CloudWatch alarms cannot publish "
            "to a topic encrypted with the AWS managed SNS key."
        )
        acknowledge(self.topic, "SNS2", no_key)
        acknowledge_checkov(self.topic, "CKV_AWS_26", no_key)
        # The topic policy CDK writes (TLS only) replaces SNS's default one, which let
        # the account's alarms publish; without this statement they could not ("Why didn't I receive an
        # SNS notification for my CloudWatch alarm trigger?", AWS re:Post Knowledge Center).
        stack = Stack.of(self)
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                },
            )
        )
        if props.email:
            self.topic.add_subscription(subscriptions.EmailSubscription(props.email))
        action = actions.SnsAction(self.topic)
        heartbeat = statsd_metric(names, SCHEDULER_HEARTBEAT, "Sum", "counter")
        oldest = statsd_metric(names, OLDEST_QUEUED, "Maximum", "gauge")
        database = props.database
        dead_letters = props.dead_letters.metric_approximate_number_of_messages_visible(
            period=Duration.minutes(5), statistic="Maximum"
        )
        scheduler_heartbeat = cloudwatch.Alarm(
            self,
            "SchedulerHeartbeat",
            alarm_description="No scheduler has sent a heartbeat for 3 minutes.",
            metric=heartbeat,
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=HEARTBEAT_MINUTES,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
        # Missing data breaches: created before the scheduler runs (the first deploy), it would fire at once.
        # CloudFormation creates it after the scheduler's service has reached a steady state.
        scheduler_heartbeat.node.add_dependency(props.services[SCHEDULER.name])
        connections = alarm_threshold(props.instance_class)
        self.alarms = [
            scheduler_heartbeat,
            cloudwatch.Alarm(
                self,
                "TasksQueuedLong",
                alarm_description=f"A task has waited over {props.task_queued_timeout / 2:g} s for ECS, half "
                "of [scheduler] task_queued_timeout.",
                metric=oldest,
                threshold=props.task_queued_timeout / 2,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
            cloudwatch.Alarm(
                self,
                "TaskEventsDeadLetters",
                alarm_description="Task state change events failed to reach the executor (dead-letter queue).",
                metric=dead_letters,
                threshold=0,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
            cloudwatch.Alarm(
                self,
                "DatabaseCpu",
                alarm_description=f"The database's CPU has been above {CPU_PERCENT}% for 15 minutes.",
                metric=database.metric_cpu_utilization(period=Duration.minutes(5)),
                threshold=CPU_PERCENT,
                evaluation_periods=3,
            ),
            cloudwatch.Alarm(
                self,
                "DatabaseFreeStorage",
                alarm_description="The database has less than 10% of its storage free.",
                metric=database.metric_free_storage_space(period=Duration.minutes(5), statistic="Minimum"),
                threshold=props.allocated_storage_gb * GIB * FREE_STORAGE_SHARE,
                comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                evaluation_periods=1,
            ),
            cloudwatch.Alarm(
                self,
                "DatabaseConnections",
                alarm_description=f"The database holds at least {connections} connections.",
                metric=database.metric_database_connections(period=Duration.minutes(5), statistic="Maximum"),
                threshold=connections,
                evaluation_periods=2,
            ),
        ]
        for alarm in self.alarms:
            alarm.add_alarm_action(action)
        events.Rule(
            self,
            "DeploymentRolledBack",
            description="A service deployment failed and ECS rolled it back.",
            event_pattern=events.EventPattern(
                source=["aws.ecs"],
                detail_type=["ECS Deployment State Change"],
                resources=[service.service_arn for service in props.services.values()],
                detail={"eventName": ["SERVICE_DEPLOYMENT_FAILED"]},
            ),
            # Through a role of its own: the default adds a topic policy statement letting any EventBridge
            # rule (any account's) publish, with no condition.
            targets=[targets.SnsTopic(self.topic, authorize_using_role=True)],
        )
        self.dashboard = self._dashboard(props, heartbeat, oldest, dead_letters)

    def _dashboard(
        self,
        props: AlarmsProps,
        heartbeat: cloudwatch.Metric,
        oldest: cloudwatch.Metric,
        dead: cloudwatch.IMetric,
    ) -> cloudwatch.Dashboard:
        names = props.names
        # Dashboards are global to the account, not Regional: the Region keeps two Regions' stacks of one
        # name apart (AWS::CloudWatch::Dashboard, AWS CloudFormation User Guide:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudwatch-dashboard.html).
        dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=f"{names.prefix}-airflow-{Stack.of(self).region}"
        )

        def farflow(name: str, statistic: str = "Sum", kind: str = "counter") -> cloudwatch.Metric:
            return statsd_metric(names, f"{STATSD_PREFIX}.ecs_fargate.{name}", statistic, kind)

        def graph(title: str, *metrics: cloudwatch.IMetric) -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(title=title, left=list(metrics), width=8)

        dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=24),
        )
        dashboard.add_widgets(
            graph("Scheduler heartbeats per minute", heartbeat),
            graph(
                "Executor: waiting for ECS, running",
                farflow("pending", "Maximum", "gauge"),
                farflow("running", "Maximum", "gauge"),
            ),
            graph("Oldest queued task (s)", oldest),
        )
        dashboard.add_widgets(
            graph(
                "Launches, throttles, capacity waits",
                farflow("launches"),
                farflow("throttles"),
                farflow("capacity_retries"),
                farflow("launch_failures"),
                farflow("relaunches"),
            ),
            graph("Task cost (microdollars)", farflow("cost_microdollars")),
            graph("Task events dead letters", dead),
        )
        dashboard.add_widgets(
            graph("Service CPU (%)", *(s.metric_cpu_utilization() for s in props.services.values())),
            graph("Service memory (%)", *(s.metric_memory_utilization() for s in props.services.values())),
            graph(
                "Database",
                props.database.metric_cpu_utilization(),
                props.database.metric_database_connections(),
            ),
        )
        return dashboard

    def dashboard_url(self) -> str:
        """The console address of the dashboard."""
        region = Stack.of(self).region
        return (
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#dashboards:name={self.dashboard.dashboard_name}"
        )
