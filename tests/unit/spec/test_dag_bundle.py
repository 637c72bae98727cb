"""The bundle config the spec renders is one Airflow accepts: off, it is Airflow's own default; on, Airflow's
parser takes it and the Amazon provider's S3DagBundle is built from it as the dag-processor and the task
runner build it (DagBundlesManager), without touching AWS."""

from __future__ import annotations

import json

import pytest

from farflow.spec import dag_bundle


def test_off_is_airflows_default_dags_folder_bundle() -> None:
    from airflow.configuration import conf

    default = conf.get_default_value("dag_processor", "dag_bundle_config_list")
    assert json.loads(dag_bundle.config_list(None)) == json.loads(default)


def test_on_is_the_providers_s3_bundle_at_the_buckets_root(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.providers.amazon.aws.bundles.s3 import S3DagBundle

    monkeypatch.setenv("AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST", dag_bundle.config_list("my-dags"))
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    bundle = DagBundlesManager().get_bundle(dag_bundle.BUNDLE_NAME)
    assert isinstance(bundle, S3DagBundle)
    assert (bundle.bucket_name, bundle.prefix, bundle.aws_conn_id) == ("my-dags", "", None)
    assert bundle.refresh_interval == dag_bundle.REFRESH_SECONDS
    # Unversioned: no bundle version is recorded on a run (docs/deploy.md, a run in flight).
    assert bundle.supports_versioning is False


def test_readers_list_and_get_only() -> None:
    statements = dag_bundle.reader_statements("arn:aws:s3:::b")
    assert [(s["Action"], s["Resource"]) for s in statements] == [
        (["s3:ListBucket"], "arn:aws:s3:::b"),
        (["s3:GetObject"], "arn:aws:s3:::b/*"),
    ]
