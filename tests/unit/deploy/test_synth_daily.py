"""Daily-work settings in the synthesized stacks: Airflow options, the Secrets Manager backend and service
counts, unset in the defaults and set in the variant (tests/support/deploy.py)."""

from __future__ import annotations

import json
from typing import Any

from farflow.policy import Decision, Request, evaluate, parse_policy
from farflow.spec import secrets_backend
from tests.support.deploy import REGION, Synthesized
from tests.unit.deploy.test_synth_iam import flat

ACCOUNT = "123456789012"
# The Airflow task definition's container; the migration's runs no Airflow component that reads secrets.
AIRFLOW_TASK_CONTAINER = "airflow"
MIGRATION_CONTAINER = "migration"
BACKEND = "AIRFLOW__SECRETS__BACKEND"


def environment(container: dict[str, Any]) -> dict[str, Any]:
    return {entry["Name"]: entry["Value"] for entry in container.get("Environment", [])}


def airflow_containers(stack: Synthesized) -> dict[str, dict[str, Any]]:
    """The containers that run Airflow (every one but the tasks/<name> folders' images)."""
    return {name: c for name, c in stack.containers().items() if "AIRFLOW__CORE__EXECUTOR" in environment(c)}


def test_the_defaults_set_no_option_no_backend_and_one_of_each_service(stack: Synthesized) -> None:
    for container in airflow_containers(stack).values():
        variables = environment(container)
        assert "AIRFLOW__CORE__PARALLELISM" not in variables
        assert not {name for name in variables if name.startswith("AIRFLOW__SECRETS__")}
    assert not [key for key in stack.of_type("AWS::IAM::Policy") if "SecretsRead" in key]
    assert {
        stack.service_of(name)[1]["Properties"]["DesiredCount"] for name in ("api-server", "scheduler")
    } == {1}


def test_each_option_is_set_on_the_containers_that_read_its_section(variant: Synthesized) -> None:
    containers = airflow_containers(variant)
    assert {MIGRATION_CONTAINER, AIRFLOW_TASK_CONTAINER, "api-server", "scheduler"} <= set(containers)
    with_parallelism = {
        n for n, c in containers.items() if environment(c).get("AIRFLOW__CORE__PARALLELISM") == "64"
    }
    assert with_parallelism == set(containers)
    with_tis = {n for n, c in containers.items() if "AIRFLOW__SCHEDULER__MAX_TIS_PER_QUERY" in environment(c)}
    assert with_tis == {"scheduler", "api-server"}


def test_api_server_and_scheduler_run_as_many_tasks_as_counted(variant: Synthesized) -> None:
    for name in ("api-server", "scheduler"):
        assert variant.service_of(name)[1]["Properties"]["DesiredCount"] == 2
    for name in ("dag-processor", "triggerer"):
        assert variant.service_of(name)[1]["Properties"]["DesiredCount"] == 1


def test_the_secrets_backend_is_on_every_container_that_resolves_connections(variant: Synthesized) -> None:
    containers = airflow_containers(variant)
    with_backend = {
        name for name, c in containers.items() if environment(c).get(BACKEND) == secrets_backend.BACKEND
    }
    assert with_backend == set(containers) - {MIGRATION_CONTAINER}
    kwargs = json.loads(environment(containers["scheduler"])["AIRFLOW__SECRETS__BACKEND_KWARGS"])
    assert kwargs == {
        "connections_prefix": "farflow/connections",
        "variables_prefix": "farflow/variables",
        "config_prefix": None,
    }


def _secrets_policy(stack: Synthesized) -> dict[str, Any]:
    [policy] = [value for key, value in stack.of_type("AWS::IAM::Policy").items() if "SecretsRead" in key]
    return dict(policy["Properties"])


def test_exactly_those_containers_roles_read_exactly_the_prefixes(variant: Synthesized) -> None:
    policy = _secrets_policy(variant)
    readers = set(airflow_containers(variant)) - {MIGRATION_CONTAINER}
    assert {role["Ref"] for role in policy["Roles"]} == {variant.role_of(name) for name in readers}
    [statement] = policy["PolicyDocument"]["Statement"]
    assert flat(statement) == {
        "Action": "secretsmanager:GetSecretValue",
        "Effect": "Allow",
        "Resource": [
            f"arn:<AWS::Partition>:secretsmanager:{REGION}:<AWS::AccountId>:secret:farflow/connections/*",
            f"arn:<AWS::Partition>:secretsmanager:{REGION}:<AWS::AccountId>:secret:farflow/variables/*",
        ],
    }


def _decision(variant: Synthesized, action: str, name: str) -> Decision:
    """The secrets policy decides a request for the secret `name` as IAM would: its ARN carries the
    hyphen and six random characters Secrets Manager appends to every secret's name."""
    text = json.dumps(flat(_secrets_policy(variant)["PolicyDocument"]))
    text = text.replace("<AWS::Partition>", "aws").replace("<AWS::AccountId>", ACCOUNT)
    arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-AbC123"
    return evaluate([parse_policy(json.loads(text))], Request(action, arn)).decision


def test_the_prefix_pattern_admits_the_stacks_secrets_and_no_others(variant: Synthesized) -> None:
    read = "secretsmanager:GetSecretValue"
    assert _decision(variant, read, "farflow/connections/my_postgres") is Decision.ALLOW
    assert _decision(variant, read, "farflow/variables/bucket") is Decision.ALLOW
    # Another stack whose name starts the same, the config prefix (left off), other secrets, other actions.
    assert _decision(variant, read, "farflow-prod/connections/my_postgres") is Decision.IMPLICIT_DENY
    assert _decision(variant, read, "farflow/connectionsX/my_postgres") is Decision.IMPLICIT_DENY
    assert _decision(variant, read, "farflow/config/sql_alchemy_conn") is Decision.IMPLICIT_DENY
    assert _decision(variant, read, "FarflowDatabaseSecret") is Decision.IMPLICIT_DENY
    assert (
        _decision(variant, "secretsmanager:PutSecretValue", "farflow/connections/x") is Decision.IMPLICIT_DENY
    )


SERVICES_WITH_AGENT = {"api-server", "scheduler", "dag-processor", "triggerer"}


def test_each_service_sends_statsd_to_its_agent_and_nothing_else_does(stack: Synthesized) -> None:
    for name, container in airflow_containers(stack).items():
        variables = environment(container)
        assert (variables.get("AIRFLOW__METRICS__STATSD_ON") == "True") is (name in SERVICES_WITH_AGENT)
    for name in SERVICES_WITH_AGENT:
        _, definition = stack.task_definition_of(name)
        [_, agent] = definition["Properties"]["ContainerDefinitions"]
        assert agent["Name"] == "cloudwatch-agent"
        assert agent["Essential"] is False
        config = json.loads(environment(agent)["CW_CONFIG_CONTENT"])
        assert config["metrics"]["namespace"] == "farflow/Airflow"
        assert config["metrics"]["metrics_collected"]["statsd"]["service_address"] == "127.0.0.1:8125"
        assert config["metrics"]["metrics_collected"]["statsd"]["metric_separator"] == "."
        statements = [
            statement
            for policy in stack.policies_of(stack.role_of(name))
            for statement in policy["PolicyDocument"]["Statement"]
            if statement["Action"] == "cloudwatch:PutMetricData"
        ]
        assert statements == [
            {
                "Action": "cloudwatch:PutMetricData",
                "Condition": {"StringEquals": {"cloudwatch:namespace": "farflow/Airflow"}},
                "Effect": "Allow",
                "Resource": "*",
            }
        ]


def alarms(stack: Synthesized) -> dict[str, dict[str, Any]]:
    return {key: value["Properties"] for key, value in stack.of_type("AWS::CloudWatch::Alarm").items()}


def alarm(stack: Synthesized, name: str) -> dict[str, Any]:
    [found] = [properties for key, properties in alarms(stack).items() if key.startswith(f"Alarms{name}")]
    return found


def test_the_alarms_watch_what_they_say_and_publish_to_the_topic(stack: Synthesized) -> None:
    [topic] = stack.of_type("AWS::SNS::Topic")
    found = alarms(stack)
    assert len(found) == 6
    assert all(properties["AlarmActions"] == [{"Ref": topic}] for properties in found.values())
    heartbeat = alarm(stack, "SchedulerHeartbeat")
    assert heartbeat["MetricName"] == "airflow.scheduler_heartbeat"
    assert heartbeat["Namespace"] == "farflow/Airflow"
    assert heartbeat["Dimensions"] == [{"Name": "metric_type", "Value": "counter"}]
    assert heartbeat["TreatMissingData"] == "breaching"
    assert heartbeat["ComparisonOperator"] == "LessThanThreshold"
    # Half of Airflow's default task_queued_timeout (600 s).
    assert alarm(stack, "TasksQueuedLong")["Threshold"] == 300
    assert alarm(stack, "TasksQueuedLong")["MetricName"] == "airflow.ecs_fargate.oldest_queued_seconds"
    dead = alarm(stack, "TaskEventsDeadLetters")
    assert dead["MetricName"] == "ApproximateNumberOfMessagesVisible"
    [(queue_key, _)] = [(k, v) for k, v in stack.of_type("AWS::SQS::Queue").items() if "DeadLetters" in k]
    assert dead["Dimensions"][0]["Value"] == {"Fn::GetAtt": [queue_key, "QueueName"]}
    assert alarm(stack, "DatabaseFreeStorage")["Threshold"] == 25 * 1024**3 * 0.1
    connections = alarm(stack, "DatabaseConnections")
    assert connections["Threshold"] == 161  # 80% of a db.t4g.small's 202
    # CDK's default comparison is >=: the description says so.
    assert connections["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert connections["AlarmDescription"] == "The database holds at least 161 connections."
    assert {alarm(stack, n)["MetricName"] for n in ("DatabaseCpu", "DatabaseConnections")} == {
        "CPUUtilization",
        "DatabaseConnections",
    }
    assert not stack.of_type("AWS::SNS::Subscription")


def test_the_heartbeat_alarm_waits_for_the_scheduler_service(stack: Synthesized) -> None:
    """Missing data breaches, so the alarm is created only once the scheduler's service is stable."""
    [(_, resource)] = [
        (k, v)
        for k, v in stack.of_type("AWS::CloudWatch::Alarm").items()
        if k.startswith("AlarmsSchedulerHeartbeat")
    ]
    scheduler, _ = stack.service_of("scheduler")
    assert scheduler in resource.get("DependsOn", [])


def test_a_rolled_back_deployment_of_any_service_reaches_the_topic(stack: Synthesized) -> None:
    [rule] = [
        v["Properties"] for k, v in stack.of_type("AWS::Events::Rule").items() if "DeploymentRolledBack" in k
    ]
    pattern = rule["EventPattern"]
    assert pattern["detail-type"] == ["ECS Deployment State Change"]
    assert pattern["detail"] == {"eventName": ["SERVICE_DEPLOYMENT_FAILED"]}
    services = {name: stack.service_of(name)[0] for name in (*SERVICES_WITH_AGENT, "worker")}
    assert sorted(pattern["resources"], key=str) == sorted(
        ({"Ref": key} for key in services.values()), key=str
    )
    [topic] = stack.of_type("AWS::SNS::Topic")
    assert [target["Arn"] for target in rule["Targets"]] == [{"Ref": topic}]


def test_the_dashboard_and_its_url(stack: Synthesized) -> None:
    [(key, dashboard)] = stack.of_type("AWS::CloudWatch::Dashboard").items()
    # Dashboards are global to the account: the Region keeps two Regions' stacks apart.
    assert dashboard["Properties"]["DashboardName"] == f"farflow-airflow-{REGION}"
    # A dashboard's Ref is its name.
    url = stack.template["Outputs"]["DashboardUrl"]["Value"]
    assert url == {
        "Fn::Join": [
            "",
            [
                f"https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}#dashboards:name=",
                {"Ref": key},
            ],
        ]
    }


def test_no_statement_lets_eventbridge_publish_unconditioned(stack: Synthesized) -> None:
    """The rule publishes through its own role, so the topic policy needs no open EventBridge statement."""
    [policy] = [v["Properties"] for v in stack.of_type("AWS::SNS::TopicPolicy").values()]
    open_statements = [
        statement
        for statement in policy["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow"
        and "events.amazonaws.com" in json.dumps(statement.get("Principal", {}))
        and not statement.get("Condition")
    ]
    assert open_statements == []


def test_the_rule_publishes_with_a_role_that_may_publish_to_the_topic_only(stack: Synthesized) -> None:
    [rule] = [
        v["Properties"] for k, v in stack.of_type("AWS::Events::Rule").items() if "DeploymentRolledBack" in k
    ]
    [target] = rule["Targets"]
    role = target["RoleArn"]["Fn::GetAtt"][0]
    [topic] = stack.of_type("AWS::SNS::Topic")
    statements = [s for policy in stack.policies_of(role) for s in policy["PolicyDocument"]["Statement"]]
    assert statements == [{"Action": "sns:Publish", "Effect": "Allow", "Resource": {"Ref": topic}}]


def test_an_address_is_subscribed_and_the_threshold_follows_the_option(variant: Synthesized) -> None:
    [(_, subscription)] = variant.of_type("AWS::SNS::Subscription").items()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "ops@example.com"
    assert alarm(variant, "TasksQueuedLong")["Threshold"] == 600


def test_the_topic_takes_the_alarms_and_the_rule_and_no_one_else(stack: Synthesized) -> None:
    """The topic policy replaces SNS's default one, so the alarms' own publish must be allowed in it."""
    [policy] = [v["Properties"] for v in stack.of_type("AWS::SNS::TopicPolicy").values()]
    text = json.dumps(flat(policy["PolicyDocument"]))
    text = text.replace("<AWS::Partition>", "aws").replace("<AWS::AccountId>", ACCOUNT)
    [topic_key] = stack.of_type("AWS::SNS::Topic")
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:farflow-alarms"
    statements = parse_policy(json.loads(text.replace(f"<{topic_key}>", topic)))
    alarm_arn = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:farflow-SchedulerHeartbeat"
    tls = {"aws:SecureTransport": True}

    def decide(principal: str, keys: dict[str, Any]) -> Decision:
        return evaluate([statements], Request("sns:Publish", topic, principal, keys)).decision

    alarm_keys = {**tls, "aws:SourceArn": alarm_arn, "aws:SourceAccount": ACCOUNT}
    assert decide("cloudwatch.amazonaws.com", alarm_keys) is Decision.ALLOW
    assert decide("events.amazonaws.com", tls) is not Decision.ALLOW
    other_account = {**alarm_keys, "aws:SourceAccount": "999999999999"}
    assert decide("cloudwatch.amazonaws.com", other_account) is not Decision.ALLOW
    assert (
        decide("cloudwatch.amazonaws.com", {**alarm_keys, "aws:SecureTransport": False}) is not Decision.ALLOW
    )
