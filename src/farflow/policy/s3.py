"""An S3 request as sent on the wire (method, URL, headers) turned into the context a policy sees.

What is relied on:
- "Actions, resources, and condition keys for Amazon S3" (Service Authorization Reference,
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html): the
  `s3:x-amz-*` condition keys carry the request's header of that name (for PutObject among them
  `s3:x-amz-server-side-encryption`, `s3:x-amz-server-side-encryption-aws-kms-key-id` and
  `s3:x-amz-server-side-encryption-customer-algorithm`); a header the request does not send is a key
  absent from the context.
- "Required permissions for Amazon S3 API operations" (Amazon S3 User Guide): each operation's
  actions (`ACTIONS`), and the calls that need more than one.
- "AWS global condition context keys" (.../reference_policies_condition-keys.html): `aws:SecureTransport`
  is whether the request came over TLS; `aws:PrincipalArn` and `aws:PrincipalAccount` name the caller.
- S3 evaluates the bucket policy on the request as sent, before it applies the bucket's default
  encryption: an object S3 then encrypts by default carried no encryption header, so its encryption keys
  are absent from the context (docs/security.md).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from urllib.parse import parse_qs, unquote, urlsplit

from farflow.policy.evaluation import Request

# Request headers that S3 offers as `s3:<header>` condition keys.
HEADER_KEYS = frozenset(
    {
        "x-amz-acl",
        "x-amz-content-sha256",
        "x-amz-copy-source",
        "x-amz-grant-full-control",
        "x-amz-grant-read",
        "x-amz-grant-read-acp",
        "x-amz-grant-write",
        "x-amz-grant-write-acp",
        "x-amz-metadata-directive",
        "x-amz-object-lock-legal-hold",
        "x-amz-object-lock-mode",
        "x-amz-object-lock-retain-until-date",
        "x-amz-server-side-encryption",
        "x-amz-server-side-encryption-aws-kms-key-id",
        "x-amz-server-side-encryption-customer-algorithm",
        "x-amz-storage-class",
        "x-amz-website-redirect-location",
    }
)
# The IAM action of every S3 API operation a general purpose bucket serves ("Required permissions for
# Amazon S3 API operations", Amazon S3 User Guide, https://docs.aws.amazon.com/AmazonS3/latest/userguide/
# using-with-s3-policy-actions.html; the "Actions" table of the Service Authorization Reference for S3).
# Many are not `s3:<operation>`: a Delete of a configuration is its Put, ListObjects is s3:ListBucket.
ACTIONS: Mapping[str, str] = {
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "CompleteMultipartUpload": "s3:PutObject",
    "CopyObject": "s3:PutObject",  # and s3:GetObject on the source: s3_requests
    "CreateBucket": "s3:CreateBucket",
    "CreateBucketMetadataConfiguration": "s3:CreateBucketMetadataTableConfiguration",
    "CreateBucketMetadataTableConfiguration": "s3:CreateBucketMetadataTableConfiguration",
    "CreateMultipartUpload": "s3:PutObject",
    "DeleteBucket": "s3:DeleteBucket",
    "DeleteBucketAnalyticsConfiguration": "s3:PutAnalyticsConfiguration",
    "DeleteBucketCors": "s3:PutBucketCORS",
    "DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
    "DeleteBucketIntelligentTieringConfiguration": "s3:PutIntelligentTieringConfiguration",
    "DeleteBucketInventoryConfiguration": "s3:PutInventoryConfiguration",
    "DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
    "DeleteBucketMetadataConfiguration": "s3:DeleteBucketMetadataTableConfiguration",
    "DeleteBucketMetadataTableConfiguration": "s3:DeleteBucketMetadataTableConfiguration",
    "DeleteBucketMetricsConfiguration": "s3:PutMetricsConfiguration",
    "DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "DeleteBucketPolicy": "s3:DeleteBucketPolicy",
    "DeleteBucketReplication": "s3:PutReplicationConfiguration",
    "DeleteBucketTagging": "s3:PutBucketTagging",
    "DeleteBucketWebsite": "s3:DeleteBucketWebsite",
    "DeleteObject": "s3:DeleteObject",
    "DeleteObjectTagging": "s3:DeleteObjectTagging",
    "DeleteObjects": "s3:DeleteObject",  # on each key the body lists: s3_requests
    "DeletePublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "GetBucketAccelerateConfiguration": "s3:GetAccelerateConfiguration",
    "GetBucketAcl": "s3:GetBucketAcl",
    "GetBucketAnalyticsConfiguration": "s3:GetAnalyticsConfiguration",
    "GetBucketCors": "s3:GetBucketCORS",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "GetBucketIntelligentTieringConfiguration": "s3:GetIntelligentTieringConfiguration",
    "GetBucketInventoryConfiguration": "s3:GetInventoryConfiguration",
    "GetBucketLifecycle": "s3:GetLifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "GetBucketLocation": "s3:GetBucketLocation",
    "GetBucketLogging": "s3:GetBucketLogging",
    "GetBucketMetadataConfiguration": "s3:GetBucketMetadataTableConfiguration",
    "GetBucketMetadataTableConfiguration": "s3:GetBucketMetadataTableConfiguration",
    "GetBucketMetricsConfiguration": "s3:GetMetricsConfiguration",
    "GetBucketNotification": "s3:GetBucketNotification",
    "GetBucketNotificationConfiguration": "s3:GetBucketNotification",
    "GetBucketOwnershipControls": "s3:GetBucketOwnershipControls",
    "GetBucketPolicy": "s3:GetBucketPolicy",
    "GetBucketPolicyStatus": "s3:GetBucketPolicyStatus",
    "GetBucketReplication": "s3:GetReplicationConfiguration",
    "GetBucketRequestPayment": "s3:GetBucketRequestPayment",
    "GetBucketTagging": "s3:GetBucketTagging",
    "GetBucketVersioning": "s3:GetBucketVersioning",
    "GetBucketWebsite": "s3:GetBucketWebsite",
    "GetObject": "s3:GetObject",
    "GetObjectAcl": "s3:GetObjectAcl",
    "GetObjectAttributes": "s3:GetObjectAttributes",  # and s3:GetObject: s3_requests
    "GetObjectLegalHold": "s3:GetObjectLegalHold",
    "GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
    "GetObjectRetention": "s3:GetObjectRetention",
    "GetObjectTagging": "s3:GetObjectTagging",
    "GetObjectTorrent": "s3:GetObject",
    "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "HeadBucket": "s3:ListBucket",
    "HeadObject": "s3:GetObject",
    "ListBucketAnalyticsConfigurations": "s3:GetAnalyticsConfiguration",
    "ListBucketIntelligentTieringConfigurations": "s3:GetIntelligentTieringConfiguration",
    "ListBucketInventoryConfigurations": "s3:GetInventoryConfiguration",
    "ListBucketMetricsConfigurations": "s3:GetMetricsConfiguration",
    "ListBuckets": "s3:ListAllMyBuckets",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "ListObjectVersions": "s3:ListBucketVersions",
    "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "ListParts": "s3:ListMultipartUploadParts",
    "PutBucketAccelerateConfiguration": "s3:PutAccelerateConfiguration",
    "PutBucketAcl": "s3:PutBucketAcl",
    "PutBucketAnalyticsConfiguration": "s3:PutAnalyticsConfiguration",
    "PutBucketCors": "s3:PutBucketCORS",
    "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "PutBucketIntelligentTieringConfiguration": "s3:PutIntelligentTieringConfiguration",
    "PutBucketInventoryConfiguration": "s3:PutInventoryConfiguration",
    "PutBucketLifecycle": "s3:PutLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "PutBucketLogging": "s3:PutBucketLogging",
    "PutBucketMetricsConfiguration": "s3:PutMetricsConfiguration",
    "PutBucketNotification": "s3:PutBucketNotification",
    "PutBucketNotificationConfiguration": "s3:PutBucketNotification",
    "PutBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "PutBucketPolicy": "s3:PutBucketPolicy",
    "PutBucketReplication": "s3:PutReplicationConfiguration",
    "PutBucketRequestPayment": "s3:PutBucketRequestPayment",
    "PutBucketTagging": "s3:PutBucketTagging",
    "PutBucketVersioning": "s3:PutBucketVersioning",
    "PutBucketWebsite": "s3:PutBucketWebsite",
    "PutObject": "s3:PutObject",
    "PutObjectAcl": "s3:PutObjectAcl",
    "PutObjectLegalHold": "s3:PutObjectLegalHold",
    "PutObjectLockConfiguration": "s3:PutBucketObjectLockConfiguration",
    "PutObjectRetention": "s3:PutObjectRetention",
    "PutObjectTagging": "s3:PutObjectTagging",
    "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "RestoreObject": "s3:RestoreObject",
    "SelectObjectContent": "s3:GetObject",
    "UpdateBucketMetadataInventoryTableConfiguration": "s3:UpdateBucketMetadataInventoryTableConfiguration",
    "UpdateBucketMetadataJournalTableConfiguration": "s3:UpdateBucketMetadataJournalTableConfiguration",
    "UploadPart": "s3:PutObject",
    "UploadPartCopy": "s3:PutObject",  # and s3:GetObject on the source: s3_requests
}
# Operations botocore's model lists that moto does not serve and whose IAM action farflow does not
# name (they are newer than the reference it relies on): authorised as `s3:<operation>`.
NOT_MODELLED = frozenset(
    {
        "DeleteObjectAnnotation",
        "GetBucketAbac",
        "GetObjectAnnotation",
        "ListObjectAnnotations",
        "PutBucketAbac",
        "PutObjectAnnotation",
        "RenameObject",
        "UpdateBucketMetadataAnnotationTableConfiguration",
        "UpdateObjectEncryption",
    }
)
# On a specific version (`versionId` in the query) an object action is its Version twin.
VERSIONED: Mapping[str, str] = {
    "s3:GetObject": "s3:GetObjectVersion",
    "s3:DeleteObject": "s3:DeleteObjectVersion",
    "s3:GetObjectAcl": "s3:GetObjectVersionAcl",
    "s3:PutObjectAcl": "s3:PutObjectVersionAcl",
    "s3:GetObjectTagging": "s3:GetObjectVersionTagging",
    "s3:PutObjectTagging": "s3:PutObjectVersionTagging",
    "s3:DeleteObjectTagging": "s3:DeleteObjectVersionTagging",
    "s3:GetObjectAttributes": "s3:GetObjectVersionAttributes",
}
# Calls that read a source object besides writing their own: the source named by x-amz-copy-source.
COPIES = frozenset({"CopyObject", "UploadPartCopy"})
# Actions with no resource-level permissions: the request's resource is "*".
UNSCOPED = frozenset({"s3:ListAllMyBuckets"})
# Virtual-hosted style: <bucket>.s3.<region>.amazonaws.com, <bucket>.s3-<region>..., <bucket>.s3.amazonaws.com
_VIRTUAL_HOST = re.compile(r"^(?P<bucket>.+?)\.s3[.-]")
_DELETE_OBJECT = re.compile(r"<Object>(.*?)</Object>", re.DOTALL)
_DELETE_KEY = re.compile(r"<Key>(.*?)</Key>", re.DOTALL)


def resource_of(url: str) -> str:
    """The ARN of the bucket or object a request's URL names, path-style or virtual-hosted."""
    parts = urlsplit(url)
    path = unquote(parts.path).lstrip("/")
    hosted = _VIRTUAL_HOST.match(parts.hostname or "")
    if hosted:
        bucket, key = hosted.group("bucket"), path
    else:
        bucket, _, key = path.partition("/")
    return f"arn:aws:s3:::{bucket}/{key}" if key else f"arn:aws:s3:::{bucket}"


def condition_keys(url: str, headers: Mapping[str, str | bytes], principal: str | None) -> dict[str, str]:
    """The condition keys a sent request carries: its `s3:x-amz-*` headers, TLS, and the caller."""
    keys: dict[str, str] = {
        "aws:SecureTransport": "true" if urlsplit(url).scheme == "https" else "false",
    }
    for name, value in headers.items():
        if name.lower() in HEADER_KEYS:
            keys[f"s3:{name.lower()}"] = value.decode() if isinstance(value, bytes) else value
    if principal is not None:
        keys["aws:PrincipalArn"] = principal
        account = principal.split(":")[4] if principal.count(":") >= 5 else None
        if account:
            keys["aws:PrincipalAccount"] = account
    return keys


# ListBucket's own condition keys ("Actions, resources, and condition keys for Amazon S3"): the
# listing's `prefix`, `delimiter` and `max-keys` query parameters, where the request sends them.
LISTING_KEYS = ("prefix", "delimiter", "max-keys")
LISTINGS = frozenset({"s3:ListBucket", "s3:ListBucketVersions"})


def listing_keys(action: str, url: str) -> dict[str, str]:
    """`s3:prefix`, `s3:delimiter` and `s3:max-keys` of a listing, as its query sends them (an empty
    `prefix=` is the empty string; a parameter the request leaves out is a key absent from the context)."""
    if action not in LISTINGS:
        return {}
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    return {f"s3:{name}": query[name][0] for name in LISTING_KEYS if name in query}


def action_of(operation: str, query: str = "") -> str:
    """The IAM action of an S3 operation; on a `versionId`, its Version twin."""
    action = ACTIONS.get(operation, f"s3:{operation}")
    return VERSIONED.get(action, action) if "versionId" in parse_qs(query) else action


def s3_request(
    operation: str, url: str, headers: Mapping[str, str | bytes], principal: str | None = None
) -> Request:
    """The request context of one sent S3 call (`operation` its API name, e.g. PutObject)."""
    action = action_of(operation, urlsplit(url).query)
    return Request(
        action=action,
        resource="*" if action in UNSCOPED else resource_of(url),
        principal=principal,
        keys={**condition_keys(url, headers, principal), **listing_keys(action, url)},
    )


def copy_source(headers: Mapping[str, str | bytes]) -> tuple[str, str] | None:
    """(ARN, query) of the object `x-amz-copy-source` names: `[/]bucket/key[?versionId=...]`, URL-encoded."""
    raw = next((value for name, value in headers.items() if name.lower() == "x-amz-copy-source"), None)
    if raw is None:
        return None
    text = raw.decode() if isinstance(raw, bytes) else raw
    path, _, query = text.partition("?")
    bucket, _, key = unquote(path).lstrip("/").partition("/")
    return (f"arn:aws:s3:::{bucket}/{key}", query) if bucket and key else None


def s3_requests(
    operation: str,
    url: str,
    headers: Mapping[str, str | bytes],
    body: bytes = b"",
    principal: str | None = None,
) -> list[Request]:
    """The requests AWS authorises for one sent call ("Required permissions for Amazon S3 API
    operations"): DeleteObjects is s3:DeleteObject (or s3:DeleteObjectVersion) on each key its body
    lists; CopyObject and UploadPartCopy read the source (s3:GetObject, or s3:GetObjectVersion) and
    write the destination; GetObjectAttributes also needs s3:GetObject; any other call is itself."""
    one = s3_request(operation, url, headers, principal)
    if operation == "DeleteObjects":
        return [
            Request(
                VERSIONED[one.action] if version else one.action, f"{one.resource}/{key}", principal, one.keys
            )
            for key, version in _deleted(body)
        ]
    source = copy_source(headers) if operation in COPIES else None
    if source is not None:
        return [Request(action_of("GetObject", source[1]), source[0], principal, one.keys), one]
    if operation == "GetObjectAttributes":
        read = action_of("GetObject", urlsplit(url).query)
        return [Request(read, one.resource, principal, one.keys), one]
    return [one]


def _deleted(body: bytes) -> list[tuple[str, bool]]:
    """(key, has a version id) of each object a DeleteObjects body lists."""
    text = body.decode("utf-8", "replace")
    found = []
    for entry in _DELETE_OBJECT.findall(text):
        key = _DELETE_KEY.search(entry)
        if key:
            found.append((html.unescape(key.group(1)), "<VersionId>" in entry))
    return found
