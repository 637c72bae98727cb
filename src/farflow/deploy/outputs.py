"""The stack outputs `farflow deploy` reads, by name: one place for the app and the toolkit wrapper.

Plain constants, no aws_cdk import, so `farflow.deploy.toolkit` can use them without loading the CDK.
The outputs sit at the stack's top level, so these names are their logical ids.
"""

from collections.abc import Sequence

UI_URL_OUTPUT = "UiUrl"
ADMIN_SECRET_OUTPUT = "AdminPasswordSecretArn"
CLUSTER_OUTPUT = "ClusterName"
TASK_EVENTS_QUEUE_OUTPUT = "TaskEventsQueueUrl"
DAGS_BUCKET_OUTPUT = "DagsBucketName"
IMAGE_INPUTS_OUTPUT = "ImageInputs"

DASHBOARD_OUTPUT = "DashboardUrl"
ALARMS_TOPIC_OUTPUT = "AlarmsTopicArn"

# The roles that run the project's code, for a bucket's or key's policy to name (docs/deploy.md).
AIRFLOW_TASK_ROLE_OUTPUT = "AirflowTaskRoleArn"
WORKER_ROLE_OUTPUT = "WorkerRoleArn"


def folder_role_output(folder: str) -> str:
    """The output with the task role ARN of tasks/<folder> (`TasksNumberTaskRoleArn` for number_task)."""
    words = folder.replace("-", "_").split("_")
    return f"Tasks{''.join(word[:1].upper() + word[1:] for word in words if word)}RoleArn"


def output_collisions(folders: Sequence[str]) -> list[str]:
    """One line per output name two or more tasks/<name> folders would share (`a-b` and `a_b`,
    `number_task` and `numberTask`): CloudFormation keeps one output per name, so one role's ARN would be
    lost."""
    by_output: dict[str, list[str]] = {}
    for folder in folders:
        by_output.setdefault(folder_role_output(folder), []).append(folder)
    return [
        f"tasks/{' and tasks/'.join(same)}: both give the stack output {output} (the role ARN a bucket or "
        "key policy names), so one would be lost; rename one of the folders."
        for output, same in by_output.items()
        if len(same) > 1
    ]
