"""After `farflow deploy`: the project's dags/ into the new stack's DAG bundle.

A new stack's bucket is empty, and a deploy should leave the stack running the project as it is on disk;
so the deploy syncs dags/ once the toolkit is done, with the same plan as `farflow dags push` (only what
changed; deletions too) and the same credentials the toolkit used.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from farflow.dags.bucket import BundleBucket
from farflow.dags.sync import sync
from farflow.deploy.outputs import DAGS_BUCKET_OUTPUT


def bucket_from_outputs(text: str) -> str | None:
    """The DAGs bucket in the toolkit's --outputs-file ({stack: {output: value}}), if any stack has one."""
    stacks = json.loads(text) if text.strip() else {}
    for outputs in stacks.values() if isinstance(stacks, dict) else ():
        if isinstance(outputs, dict) and isinstance(outputs.get(DAGS_BUCKET_OUTPUT), str):
            return str(outputs[DAGS_BUCKET_OUTPUT])
    return None


def push_after_deploy(project: Path, outputs_file: Path, region: str, s3: Any = None) -> list[str]:
    """Sync dags/ into the deployed bucket; what to tell the user."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    if not outputs_file.is_file():
        return []  # the toolkit wrote no outputs: the deploy's summary says so
    bucket = bucket_from_outputs(outputs_file.read_text())
    if bucket is None:
        return [f"The stack has no {DAGS_BUCKET_OUTPUT} output: dags/ was not copied."]
    try:
        planned, _ = sync(
            BundleBucket(s3 or boto3.client("s3", region_name=region), bucket), project / "dags"
        )
    except (BotoCoreError, ClientError, OSError) as error:
        return [f"Could not copy dags/ to s3://{bucket} ({error}); run `farflow dags push -p {project}`."]
    return [
        f"DAGs: dags/ copied to s3://{bucket} ({planned.summary()}); the dag-processor reads it within "
        f"a minute. After editing dags/, run `farflow dags push -p {project}`."
    ]
