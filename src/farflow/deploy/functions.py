"""The stack's own Lambda functions and custom resource providers, with roles that hold only what they need.

No AWSLambdaBasicExecutionRole: every role here may write to one log group, plus what its caller grants.
The code is `handlers/` (standard library and boto3 only) plus the one spec module they share with the
executor (`farflow.spec.run_task_errors`), staged together as one asset.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from aws_cdk import Duration, Stage
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import custom_resources as cr
from constructs import Construct, IConstruct

from farflow.deploy.nag import acknowledge, acknowledge_checkov, finding_text
from farflow.spec import run_task_errors

HANDLERS = Path(__file__).parent / "handlers"
# Modules outside handlers/ that the handlers import as top-level modules in the Lambda.
SHARED_MODULES = (Path(run_task_errors.__file__),)
STAGED_FOLDER = "farflow-lambda-handlers"
RUNTIME = lambda_.Runtime.PYTHON_3_14


def lambda_role(scope: Construct, construct_id: str, log_group: logs.ILogGroup) -> iam.Role:
    """A Lambda role that can write its logs to `log_group` and nothing else."""
    role = iam.Role(scope, construct_id, assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    log_group.grant_write(role)
    return role


def staged_handlers(outdir: str | Path) -> Path:
    """The Lambda code as one folder under the cloud assembly: handlers/ and the shared modules.

    Named by its content and never rewritten in place, so two synths into one cloud assembly at once
    cannot leave CDK a half-written folder to hash and copy. Files are 0644 whatever the umask: Lambda
    must read them, and CDK's asset hash, which ignores modes, would not change if they were unreadable.
    """
    sources = (*sorted(path for path in HANDLERS.glob("*.py") if path.name != "__init__.py"), *SHARED_MODULES)
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    folder = Path(outdir) / f"{STAGED_FOLDER}-{digest.hexdigest()[:16]}"
    if folder.is_dir():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{STAGED_FOLDER}-", dir=folder.parent))
    for source in sources:
        target = scratch / source.name
        shutil.copyfile(source, target)
        target.chmod(0o644)
    scratch.chmod(0o755)
    try:
        scratch.rename(folder)
    except OSError:  # another synth staged the same content first
        shutil.rmtree(scratch, ignore_errors=True)
    return folder


def handler_function(
    scope: Construct, construct_id: str, handler: str, log_group: logs.ILogGroup, timeout: Duration
) -> lambda_.Function:
    """A function running `handlers/<module>.<function>`, logging to `log_group`."""
    function = lambda_.Function(
        scope,
        construct_id,
        runtime=RUNTIME,
        handler=handler,
        code=lambda_.Code.from_asset(str(_handlers_folder(scope))),
        role=lambda_role(scope, f"{construct_id}Role", log_group),
        log_group=log_group,
        timeout=timeout,
        memory_size=256,
    )
    _acknowledge_function(function)
    return function


def _handlers_folder(scope: Construct) -> Path:
    """The app's staged handlers (the same folder for every function of one source)."""
    stage = Stage.of(scope)
    if stage is None:
        raise ValueError("a handler function must be inside a CDK App")
    return staged_handlers(stage.outdir)


# checkov's Lambda checks, true of every function here: custom resource handlers, run during a deploy.
FUNCTION_CHECKS = {
    "CKV_AWS_115": "Runs only during a deploy, once per custom resource event. Reserved concurrency is carved "
    "out of the account's pool, and AWS keeps 100 of it unreserved, so on a new account (whose quota "
    "is lower) any reservation fails the deploy (AWS Lambda guide: Configuring reserved concurrency).",
    "CKV_AWS_116": "A custom resource function: its failure is reported to CloudFormation, which fails and "
    "rolls back the deploy. A dead-letter queue (asynchronous invocations only) would keep an event "
    "nobody replays.",
    "CKV_AWS_117": "Calls only AWS APIs and CloudFormation's response URL, and nothing inside the VPC; in the "
    "VPC it would need a NAT gateway (none with [network] nat_gateways = 0) or interface endpoints.",
}
# The provider framework's functions also carry its settings in their environment.
FRAMEWORK_ENVIRONMENT = (
    "The environment holds only the ARNs of the provider's own functions and state machine, no secret; "
    "Lambda encrypts it at rest with its AWS managed key."
)


def _acknowledge_function(function: IConstruct) -> None:
    for check, reason in FUNCTION_CHECKS.items():
        acknowledge_checkov(function, check, reason)


INVOKE_VERSIONS = (
    "The provider framework may invoke its handler function, including its versions and aliases "
    "(`<function ARN>:*`), and nothing else."
)


def _acknowledge_invokes(construct: IConstruct, functions: Iterable[lambda_.IFunction]) -> None:
    findings = [f"Resource::{finding_text(construct, function.function_arn)}:*" for function in functions]
    acknowledge(construct, "IAM5", INVOKE_VERSIONS, *findings)


def provider(
    scope: Construct,
    construct_id: str,
    log_group: logs.ILogGroup,
    on_event: lambda_.IFunction,
    *,
    is_complete: lambda_.IFunction | None = None,
    total_timeout: Duration | None = None,
) -> cr.Provider:
    """CDK's custom resource provider framework around our handlers, its functions on scoped roles."""
    # Two roles: one shared by all framework functions would close a dependency cycle through the
    # waiter state machine (onEvent starts it, it invokes isComplete).
    on_event_role = lambda_role(scope, f"{construct_id}OnEventRole", log_group)
    handlers = [on_event] if is_complete is None else [on_event, is_complete]
    _acknowledge_invokes(on_event_role, handlers)
    if is_complete is None:
        created = cr.Provider(
            scope,
            construct_id,
            on_event_handler=on_event,
            framework_on_event_role=on_event_role,
            log_group=log_group,
        )
        _acknowledge_framework(created)
        return created
    complete_role = lambda_role(scope, f"{construct_id}CompleteRole", log_group)
    _acknowledge_invokes(complete_role, handlers)
    created = cr.Provider(
        scope,
        construct_id,
        on_event_handler=on_event,
        is_complete_handler=is_complete,
        query_interval=Duration.seconds(15),
        total_timeout=total_timeout,
        framework_on_event_role=on_event_role,
        framework_complete_and_timeout_role=complete_role,
        log_group=log_group,
        disable_waiter_state_machine_logging=False,
        waiter_state_machine_log_options=cr.LogOptions(destination=log_group, level=sfn.LogLevel.ALL),
    )
    _acknowledge_framework(created)
    _acknowledge_waiter(created)
    return created


def _acknowledge_framework(created: cr.Provider) -> None:
    """checkov's findings on the framework's own functions (CDK's code, our roles and log group)."""
    for name in ("framework-onEvent", "framework-isComplete", "framework-onTimeout"):
        function = created.node.try_find_child(name)
        if function is not None:
            _acknowledge_function(function)
            acknowledge_checkov(function, "CKV_AWS_173", FRAMEWORK_ENVIRONMENT)


LOG_DELIVERY = (
    "CloudWatch Logs delivery for Step Functions (logs:CreateLogDelivery and friends) has no "
    "resource-level permissions."
)


def _acknowledge_waiter(created: cr.Provider) -> None:
    """The framework's waiter state machine: what it may invoke, its log delivery, no X-Ray."""
    waiter = created.node.find_child("waiter-state-machine")
    framework = [created.node.find_child(name) for name in ("framework-isComplete", "framework-onTimeout")]
    _acknowledge_invokes(
        waiter, [function for function in framework if isinstance(function, lambda_.Function)]
    )
    acknowledge(waiter, "IAM5", LOG_DELIVERY, "Resource::*")
    # The same statement, in the state machine role's policy, as checkov sees it.
    acknowledge_checkov(
        waiter.node.find_child("Role").node.find_child("DefaultPolicy"), "CKV_AWS_111", LOG_DELIVERY
    )
    acknowledge(
        waiter,
        "SF2",
        "The waiter only asks every 15 seconds whether the tasks it follows (the migration, or the "
        "cluster's tasks on delete) stopped; its execution history and logs show each step, and X-Ray "
        "traces would add cost without insight.",
    )
