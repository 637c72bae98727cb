"""A sent S3 request's context: the resource its URL names (either addressing style), its `s3:x-amz-*`
headers as condition keys (absent when not sent), TLS, the caller, and the action of its operation."""

from __future__ import annotations

import pytest

from farflow.policy import Decision, evaluate, parse_policy
from farflow.policy.s3 import resource_of, s3_request, s3_requests

ROLE = "arn:aws:iam::123456789012:role/scheduler"


@pytest.mark.parametrize(
    ("url", "resource"),
    [
        ("https://b.s3.eu-west-1.amazonaws.com/workloads/f/t.json", "arn:aws:s3:::b/workloads/f/t.json"),
        ("https://b.s3.amazonaws.com/k", "arn:aws:s3:::b/k"),
        ("https://s3.eu-west-1.amazonaws.com/b/workloads/t.json", "arn:aws:s3:::b/workloads/t.json"),
        ("http://127.0.0.1:4566/b/a%20b.json", "arn:aws:s3:::b/a b.json"),
        ("https://b.s3.eu-west-1.amazonaws.com/?list-type=2", "arn:aws:s3:::b"),
        ("http://127.0.0.1:4566/b?list-type=2", "arn:aws:s3:::b"),
    ],
)
def test_the_url_names_the_bucket_or_object(url: str, resource: str) -> None:
    assert resource_of(url) == resource


def test_encryption_headers_become_condition_keys_and_unsent_ones_are_absent() -> None:
    request = s3_request(
        "PutObject",
        "https://b.s3.eu-west-1.amazonaws.com/k",
        {"X-Amz-Server-Side-Encryption": b"aws:kms", "Content-Type": "application/json"},
        ROLE,
    )
    context = request.context
    assert request.action == "s3:PutObject" and request.resource == "arn:aws:s3:::b/k"
    assert context["s3:x-amz-server-side-encryption"] == ("aws:kms",)
    assert "s3:x-amz-server-side-encryption-aws-kms-key-id" not in context
    assert "s3:content-type" not in context
    assert context["aws:securetransport"] == ("true",)
    assert context["aws:principalarn"] == (ROLE,)
    assert context["aws:principalaccount"] == ("123456789012",)


def test_plain_http_is_not_secure_transport_and_operations_map_to_their_actions() -> None:
    listing = s3_request("ListObjectsV2", "http://127.0.0.1:4566/b?list-type=2", {})
    assert listing.action == "s3:ListBucket" and listing.principal is None
    assert listing.context["aws:securetransport"] == ("false",)
    assert s3_request("HeadObject", "http://h/b/k", {}).action == "s3:GetObject"


def test_delete_objects_is_a_delete_of_each_key_it_lists() -> None:
    body = b"<Delete><Object><Key>workloads/a.json</Key></Object><Object><Key>b&amp;c</Key></Object></Delete>"
    requests = s3_requests("DeleteObjects", "https://b.s3.eu-west-1.amazonaws.com/?delete", {}, body, ROLE)
    assert [(r.action, r.resource) for r in requests] == [
        ("s3:DeleteObject", "arn:aws:s3:::b/workloads/a.json"),
        ("s3:DeleteObject", "arn:aws:s3:::b/b&c"),
    ]
    assert s3_requests("PutObject", "https://b.s3.amazonaws.com/k", {}) == [
        s3_request("PutObject", "https://b.s3.amazonaws.com/k", {})
    ]


@pytest.mark.parametrize(
    ("operation", "url", "action"),
    [
        ("ListObjectsV2", "https://s3.amazonaws.com/b?list-type=2", "s3:ListBucket"),
        ("HeadObject", "https://s3.amazonaws.com/b/k", "s3:GetObject"),
        ("HeadBucket", "https://s3.amazonaws.com/b", "s3:ListBucket"),
        ("GetBucketLocation", "https://s3.amazonaws.com/b?location", "s3:GetBucketLocation"),
        ("PutBucketEncryption", "https://s3.amazonaws.com/b?encryption", "s3:PutEncryptionConfiguration"),
        ("DeleteBucketEncryption", "https://s3.amazonaws.com/b?encryption", "s3:PutEncryptionConfiguration"),
        (
            "PutPublicAccessBlock",
            "https://s3.amazonaws.com/b?publicAccessBlock",
            "s3:PutBucketPublicAccessBlock",
        ),
        (
            "PutBucketLifecycleConfiguration",
            "https://s3.amazonaws.com/b?lifecycle",
            "s3:PutLifecycleConfiguration",
        ),
        ("CreateMultipartUpload", "https://s3.amazonaws.com/b/k?uploads", "s3:PutObject"),
        ("UploadPart", "https://s3.amazonaws.com/b/k?partNumber=1&uploadId=u", "s3:PutObject"),
        ("CompleteMultipartUpload", "https://s3.amazonaws.com/b/k?uploadId=u", "s3:PutObject"),
        ("ListMultipartUploads", "https://s3.amazonaws.com/b?uploads", "s3:ListBucketMultipartUploads"),
        ("ListParts", "https://s3.amazonaws.com/b/k?uploadId=u", "s3:ListMultipartUploadParts"),
        ("GetObject", "https://s3.amazonaws.com/b/k?versionId=3", "s3:GetObjectVersion"),
        ("DeleteObject", "https://s3.amazonaws.com/b/k?versionId=3", "s3:DeleteObjectVersion"),
    ],
)
def test_each_operation_is_its_iam_action(operation: str, url: str, action: str) -> None:
    assert s3_request(operation, url, {}).action == action


def test_list_buckets_has_no_resource_level_permission() -> None:
    request = s3_request("ListBuckets", "https://s3.amazonaws.com/", {})
    assert (request.action, request.resource) == ("s3:ListAllMyBuckets", "*")


@pytest.mark.parametrize("operation", ["CopyObject", "UploadPartCopy"])
def test_a_copy_reads_the_source_and_writes_the_destination(operation: str) -> None:
    read, write = s3_requests(
        operation,
        "https://s3.amazonaws.com/dst/new%20key",
        {"x-amz-copy-source": "/src/a%2Fb.json"},
        b"",
        ROLE,
    )
    assert (read.action, read.resource) == ("s3:GetObject", "arn:aws:s3:::src/a/b.json")
    assert (write.action, write.resource) == ("s3:PutObject", "arn:aws:s3:::dst/new key")
    [versioned, _] = s3_requests(
        operation, "https://s3.amazonaws.com/dst/k", {"x-amz-copy-source": "src/k?versionId=7"}
    )
    assert (versioned.action, versioned.resource) == ("s3:GetObjectVersion", "arn:aws:s3:::src/k")


def test_deleting_a_listed_version_is_delete_object_version() -> None:
    body = (
        b"<Delete><Object><Key>a</Key></Object><Object><Key>b</Key><VersionId>1</VersionId></Object></Delete>"
    )
    found = s3_requests("DeleteObjects", "https://s3.amazonaws.com/bk?delete", {}, body)
    assert [(r.action, r.resource) for r in found] == [
        ("s3:DeleteObject", "arn:aws:s3:::bk/a"),
        ("s3:DeleteObjectVersion", "arn:aws:s3:::bk/b"),
    ]


def test_get_object_attributes_also_needs_get_object() -> None:
    found = s3_requests("GetObjectAttributes", "https://s3.amazonaws.com/b/k?attributes", {})
    assert [r.action for r in found] == ["s3:GetObject", "s3:GetObjectAttributes"]


def test_a_listing_carries_its_prefix_delimiter_and_max_keys_and_a_prefix_condition_decides_it() -> None:
    """ListBucket's own condition keys come from the query; one the request leaves out is absent."""
    listed = s3_request(
        "ListObjectsV2", "https://b.s3.amazonaws.com/?list-type=2&prefix=data%2F&delimiter=%2F", {}
    )
    assert listed.action == "s3:ListBucket"
    assert listed.keys["s3:prefix"] == "data/" and listed.keys["s3:delimiter"] == "/"
    assert "s3:max-keys" not in listed.keys
    assert s3_request("ListObjects", "https://b.s3.amazonaws.com/?prefix=", {}).keys["s3:prefix"] == ""
    assert "s3:prefix" not in s3_request("GetObject", "https://b.s3.amazonaws.com/k?prefix=x", {}).keys
    only_data = parse_policy(
        [
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": "arn:aws:s3:::b",
                "Condition": {"StringLike": {"s3:prefix": ["data/*"]}},
            }
        ]
    )
    assert evaluate([only_data], listed).decision is Decision.ALLOW
    elsewhere = s3_request("ListObjectsV2", "https://b.s3.amazonaws.com/?list-type=2&prefix=logs%2F", {})
    assert evaluate([only_data], elsewhere).decision is not Decision.ALLOW
