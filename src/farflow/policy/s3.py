"""An S3 request as sent on the wire (method, URL, headers) turned into the context a policy sees.

What is relied on:
- "Actions, resources, and condition keys for Amazon S3" (Service Authorization Reference,
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html): the
  `s3:x-amz-*` condition keys carry the request's header of that name (for PutObject among them
  `s3:x-amz-server-side-encryption`, `s3:x-amz-server-side-encryption-aws-kms-key-id` and
  `s3:x-amz-server-side-encryption-customer-algorithm`); a header the request does not send is a key
  absent from the context. ListObjects(V2) is authorised as s3:ListBucket, HeadObject as s3:GetObject.
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
from urllib.parse import unquote, urlsplit

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
# API operations whose IAM action is not `s3:<operation>`.
ACTIONS = {
    "HeadObject": "s3:GetObject",
    "HeadBucket": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions",
    "DeleteObjects": "s3:DeleteObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "CopyObject": "s3:PutObject",
}
# Virtual-hosted style: <bucket>.s3.<region>.amazonaws.com, <bucket>.s3-<region>..., <bucket>.s3.amazonaws.com
_VIRTUAL_HOST = re.compile(r"^(?P<bucket>.+?)\.s3[.-]")
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


def s3_request(
    operation: str, url: str, headers: Mapping[str, str | bytes], principal: str | None = None
) -> Request:
    """The request context of one sent S3 call (`operation` its API name, e.g. PutObject)."""
    return Request(
        action=ACTIONS.get(operation, f"s3:{operation}"),
        resource=resource_of(url),
        principal=principal,
        keys=condition_keys(url, headers, principal),
    )


def s3_requests(
    operation: str,
    url: str,
    headers: Mapping[str, str | bytes],
    body: bytes = b"",
    principal: str | None = None,
) -> list[Request]:
    """The requests AWS authorises for one sent call: DeleteObjects is s3:DeleteObject on each key its
    body lists ("DeleteObjects", Amazon S3 API Reference); any other call is itself."""
    one = s3_request(operation, url, headers, principal)
    if operation != "DeleteObjects":
        return [one]
    keys = [html.unescape(key) for key in _DELETE_KEY.findall(body.decode("utf-8", "replace"))]
    return [Request(one.action, f"{one.resource}/{key}", principal, one.keys) for key in keys]
