"""The Secrets Manager backend as the deploy configures it: the Amazon provider's own class, given the
rendered kwargs, finds a connection and a variable created the way docs/deploy.md says (AWS CLI names)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from farflow.spec import Names
from farflow.spec.airflow_options import env_var
from farflow.spec.secrets_backend import BACKEND, backend_settings


@pytest.fixture
def secrets_manager(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="eu-west-1")


def test_the_providers_backend_reads_the_stacks_prefixes_only(secrets_manager) -> None:  # type: ignore[no-untyped-def]
    from importlib import import_module

    module, _, name = BACKEND.rpartition(".")

    settings = backend_settings(Names("demo"))
    assert settings[env_var("secrets", "backend")] == BACKEND
    backend = getattr(import_module(module), name)(
        **json.loads(settings[env_var("secrets", "backend_kwargs")])
    )
    connection = {"conn_type": "postgres", "host": "db.example.com", "port": 5432, "login": "etl"}
    secrets_manager.create_secret(Name="demo/connections/my_postgres", SecretString=json.dumps(connection))
    secrets_manager.create_secret(Name="demo/variables/landing_bucket", SecretString="my-landing-bucket")
    secrets_manager.create_secret(Name="demo/config/parallelism", SecretString="99")
    secrets_manager.create_secret(Name="other/connections/my_postgres", SecretString=json.dumps(connection))

    found = backend.get_connection("my_postgres")
    assert (found.conn_type, found.host, found.port, found.login) == (
        "postgres",
        "db.example.com",
        5432,
        "etl",
    )
    assert backend.get_variable("landing_bucket") == "my-landing-bucket"
    assert backend.get_connection("absent") is None
    # Configuration lookups are off: the roles may not read a config prefix.
    assert backend.get_config("parallelism") is None
