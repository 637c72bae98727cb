"""The stack outputs `farflow deploy` reads, by name: one place for the app and the toolkit wrapper.

Plain constants, no aws_cdk import, so `farflow.deploy.toolkit` can use them without loading the CDK.
The outputs sit at the stack's top level, so these names are their logical ids.
"""

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
