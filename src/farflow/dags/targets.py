"""Where `farflow dags push` goes: the project's local stack, or its deployed stack (from its outputs).

Both give the same three things: the bundle's bucket, the api-server logged in as the admin, and (on
AWS) what the deployed images were built from. The push itself never knows which it has.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from farflow.airflow_api import AirflowApi, ApiError
from farflow.dags import fingerprints
from farflow.dags.bucket import BundleBucket
from farflow.dags.push import PushError, Target
from farflow.spec.ui_user import ADMIN_USER

# The admin password, if given (else: the local stack's secrets file, or Secrets Manager on AWS).
PASSWORD_VARIABLE = "FARFLOW_API_PASSWORD"


def local_target(project: Path) -> Target:
    """The project's running local stack, started with `farflow local up --dag-bundle`."""
    from farflow.local import stack_record
    from farflow.local.stack import check_project
    from farflow.local.stack_access import AttachedStack
    from farflow.local.state import StateDir

    folder = check_project(project)
    record = stack_record.running(StateDir.for_project(folder))
    if record is None or record.phase != "up":
        raise PushError(
            f"No local stack is up for {folder}: start one with `farflow local up --dag-bundle -p {project}`, "
            "then push."
        )
    if not record.dags_bucket:
        raise PushError(
            f"The local stack for {folder} reads dags/ in place (it was started without --dag-bundle): your "
            "edits are live already. To push as on AWS, restart it with `farflow local up --dag-bundle`."
        )
    stack = AttachedStack(record)
    return Target(
        BundleBucket(stack.aws_client("s3"), record.dags_bucket),
        _logged_in(record.api_url, ADMIN_USER, stack.admin_password),
        f"the local stack's bucket {record.dags_bucket}",
    )


def deployed_target(project: Path, session: Any = None, insecure_http: bool = False) -> Target:
    """The stack `farflow deploy` made from this project: bucket, UI and admin secret from its outputs.

    A UI on plain http:// would carry the admin password in cleartext to /auth/token, so it is refused
    before the password is read, unless `insecure_http` says the user accepts that.
    """
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from farflow.deploy.config import stack_name
    from farflow.deploy.config_file import load
    from farflow.deploy.outputs import (
        ADMIN_SECRET_OUTPUT,
        DAGS_BUCKET_OUTPUT,
        IMAGE_INPUTS_OUTPUT,
        UI_URL_OUTPUT,
    )

    config = load(project)
    session = session or boto3.Session()
    region = config.project.region or os.environ.get("AWS_REGION") or session.region_name
    if not region:
        raise PushError("No AWS Region: set region under [project] in farflow.toml, or export AWS_REGION.")
    name = stack_name(config)
    try:
        outputs = stack_outputs(session.client("cloudformation", region_name=region), name)
        bucket = outputs.get(DAGS_BUCKET_OUTPUT)
        if not bucket:
            raise PushError(
                f"Stack {name} in {region} has no {DAGS_BUCKET_OUTPUT} output: it was deployed before DAG "
                f"bundles. Run `farflow deploy -p {project}` once."
            )
        ui_url = outputs[UI_URL_OUTPUT]
        if not insecure_http:
            _refuse_plain_http(ui_url)
        password = (
            os.environ.get(PASSWORD_VARIABLE)
            or session.client("secretsmanager", region_name=region).get_secret_value(
                SecretId=outputs[ADMIN_SECRET_OUTPUT]
            )["SecretString"]
        )
        s3 = session.client("s3", region_name=region)
    except (BotoCoreError, ClientError) as error:
        raise PushError(f"Cannot read stack {name} in {region}: {error}") from None
    return Target(
        BundleBucket(s3, bucket),
        _logged_in(ui_url, ADMIN_USER, password),
        f"s3://{bucket} (stack {name}, {region})",
        deployed_inputs=fingerprints.from_output(outputs.get(IMAGE_INPUTS_OUTPUT, "")),
    )


def stack_outputs(cloudformation: Any, name: str) -> Mapping[str, str]:
    """The stack's outputs by key; PushError if there is no such stack."""
    from botocore.exceptions import ClientError

    try:
        [stack] = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            raise PushError(f"There is no stack {name}: deploy it first with `farflow deploy`.") from None
        raise
    return {entry["OutputKey"]: entry["OutputValue"] for entry in stack.get("Outputs", [])}


def _refuse_plain_http(url: str) -> None:
    if not url.lower().startswith("https://"):
        raise PushError(
            f"The stack's UI is {url}, plain HTTP: logging in would send the admin password in cleartext. "
            "Set [load_balancer] certificate_arn and domain_name in farflow.toml and run `farflow deploy`, "
            "or pass --insecure-http to push anyway."
        )


def _logged_in(url: str, user: str, password: str) -> AirflowApi:
    api = AirflowApi(url, timeout=30)
    try:
        api.login(user, password)
    except ApiError as error:
        raise PushError(f"The Airflow API at {url} refused the login of {user}: {error}") from None
    except OSError as error:
        raise PushError(
            f"Cannot reach the Airflow API at {url} ({error}): is this machine's address in "
            "[load_balancer] allowed_cidrs?"
        ) from None
    return api
