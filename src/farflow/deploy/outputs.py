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
