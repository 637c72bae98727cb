"""What the local stack and the deploy both build, written once as plain typed data.

`farflow.local` renders it into local processes and RegisterTaskDefinition calls on the loopback
endpoint; `farflow.deploy` renders it into CDK constructs. Nothing here knows either platform: a value
that differs between them is a `Slot`, which each renderer fills.
"""

from farflow.spec import dag_bundle, workload_store
from farflow.spec.cluster import CAPACITY_PROVIDERS
from farflow.spec.components import (
    AIRFLOW_TASK,
    API_SERVER,
    COMPONENTS,
    DAG_PROCESSOR,
    DAG_VARIABLES,
    MIGRATION,
    SCHEDULER,
    SERVICES,
    TABLE,
    TRIGGERER,
    WORKER,
    Component,
    Running,
    components,
    render_environment,
)
from farflow.spec.events import (
    STARTED_BY_PREFIX,
    TASK_STATE_CHANGE,
    EventsQueueShape,
    events_queue_shape,
    task_state_change_pattern,
)
from farflow.spec.names import Names, worker_alias
from farflow.spec.secrets import Secret
from farflow.spec.settings import Setting, Slot
from farflow.spec.task_definitions import (
    AIRFLOW_TASK_SHAPE,
    ContainerShape,
    TaskDefinitionShape,
    TaskFolderError,
    airflow_task_shape,
    folder_task_shape,
    project_task_shapes,
    task_folders,
)

__all__ = [
    "AIRFLOW_TASK",
    "AIRFLOW_TASK_SHAPE",
    "API_SERVER",
    "CAPACITY_PROVIDERS",
    "COMPONENTS",
    "DAG_PROCESSOR",
    "DAG_VARIABLES",
    "MIGRATION",
    "SCHEDULER",
    "SERVICES",
    "STARTED_BY_PREFIX",
    "TABLE",
    "TASK_STATE_CHANGE",
    "TRIGGERER",
    "WORKER",
    "Component",
    "ContainerShape",
    "EventsQueueShape",
    "Names",
    "Running",
    "Secret",
    "Setting",
    "Slot",
    "TaskDefinitionShape",
    "TaskFolderError",
    "airflow_task_shape",
    "components",
    "dag_bundle",
    "events_queue_shape",
    "folder_task_shape",
    "project_task_shapes",
    "render_environment",
    "task_folders",
    "task_state_change_pattern",
    "worker_alias",
    "workload_store",
]
