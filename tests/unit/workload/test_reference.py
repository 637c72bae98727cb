"""The store URL, each object's key and the container command: pure functions."""

from __future__ import annotations

import pytest

from farflow.workload.reference import (
    StoreLocation,
    StoreUrlError,
    family_of,
    parse_reference,
    parse_store_url,
    reference_command,
    reference_in,
)


@pytest.mark.parametrize(
    ("url", "bucket", "prefix"),
    [
        ("s3://farflow-workloads/workloads/", "farflow-workloads", "workloads/"),
        ("s3://farflow-workloads/workloads", "farflow-workloads", "workloads/"),
        ("s3://farflow-workloads/a/b/", "farflow-workloads", "a/b/"),
        ("s3://farflow-workloads/", "farflow-workloads", ""),
        ("s3://farflow-workloads", "farflow-workloads", ""),
    ],
)
def test_a_store_url_is_a_bucket_and_a_prefix_ending_in_a_slash(url: str, bucket: str, prefix: str) -> None:
    assert parse_store_url(url) == StoreLocation(bucket, prefix)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://bucket/prefix/", "not an s3:// URL"),
        ("s3://Bucket_Name/x/", "not an S3 bucket name"),
        ("s3://a/x/", "not an S3 bucket name"),
        ("s3://bucket//x/", "empty"),
        ("s3://bucket/x/../y/", "'..'"),
    ],
)
def test_a_bad_store_url_says_what_is_wrong(url: str, says: str) -> None:
    with pytest.raises(StoreUrlError, match=says.replace("(", r"\(")):
        parse_store_url(url)


def test_a_launchs_key_is_its_family_and_client_token_and_the_same_parts_give_the_same_key() -> None:
    store = parse_store_url("s3://farflow-workloads/workloads/")
    key = store.key("farflow-airflow", "ab" * 32)
    assert key == f"workloads/farflow-airflow/{'ab' * 32}.json"
    assert store.key("farflow-airflow", "ab" * 32) == key
    assert store.reference(key) == f"s3://farflow-workloads/{key}"
    assert parse_reference(store.reference(key)) == ("farflow-workloads", key)


def test_the_store_holds_only_objects_under_its_own_prefix() -> None:
    store = parse_store_url("s3://farflow-workloads/workloads/")
    assert store.holds("s3://farflow-workloads/workloads/f/x.json")
    assert not store.holds("s3://farflow-workloads/other/f/x.json")
    assert not store.holds("s3://another-bucket/workloads/f/x.json")
    assert not store.holds("not a url")


@pytest.mark.parametrize(
    "task_definition",
    [
        "farflow-airflow",
        "farflow-airflow:12",
        "arn:aws:ecs:us-east-1:123456789012:task-definition/farflow-airflow:12",
    ],
)
def test_the_family_of_a_task_definition_in_any_spelling(task_definition: str) -> None:
    assert family_of(task_definition) == "farflow-airflow"


def test_the_command_carries_only_the_reference_and_gives_it_back() -> None:
    reference = "s3://farflow-workloads/workloads/f/x.json"
    command = reference_command(reference)
    assert command == ("python", "-m", "farflow.workload", reference)
    assert reference_in(command) == reference
    assert (
        reference_in(["python", "-m", "airflow.sdk.execution_time.execute_workload", "--json-string", "{}"])
        is None
    )
    assert reference_in([]) is None


@pytest.mark.parametrize("reference", ["s3://farflow-workloads/", "s3://farflow-workloads", "file:///x", ""])
def test_a_reference_must_name_an_object(reference: str) -> None:
    with pytest.raises(StoreUrlError):
        parse_reference(reference)
