"""A DAG whose task reads a bucket the project grants nothing on until farflow.toml's [permissions] does
(tests/e2e/shared_stack/test_task_permissions.py)."""

from __future__ import annotations

import boto3
from airflow.sdk import DAG, task

BUCKET = "farflow-e2e-data"

with DAG("reads_data", schedule=None, default_args={"retries": 0}):

    @task
    def read() -> None:
        body = boto3.client("s3").get_object(Bucket=BUCKET, Key="in.txt")["Body"].read().decode()
        print("read:", body)

    read()
