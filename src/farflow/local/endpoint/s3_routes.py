"""Which S3 operation a path-style request is, read off botocore's S3 service model (pure once loaded).

S3 is a REST API: an operation is a method and a URI pattern (`/{Bucket}/{Key+}?uploads`), told apart
from its siblings by the query parameters and headers it requires (UploadPart by `partNumber` and
`uploadId`, CopyObject by `x-amz-copy-source`). The model lists all of them, so the endpoint names every
operation botocore can send, as botocore sends it, instead of a hand-kept subset.

Left out, in `UNROUTED`: operations of other S3 endpoints than a general purpose bucket's (S3 Express's
CreateSession and ListDirectoryBuckets, Object Lambda's WriteGetObjectResponse), and the deprecated
aliases that send the very same request as their successor (GetBucketLifecycle is
GetBucketLifecycleConfiguration on the wire), which are named as the successor.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Set
from dataclasses import dataclass
from functools import lru_cache

# Operations a path-style request to a general purpose bucket never is.
UNROUTED: Mapping[str, str] = {
    "CreateSession": "S3 Express One Zone (directory buckets' zonal endpoint)",
    "ListDirectoryBuckets": "S3 Express One Zone (directory buckets' regional endpoint)",
    "WriteGetObjectResponse": "S3 Object Lambda (its own host)",
}


@dataclass(frozen=True)
class Route:
    operation: str
    method: str
    shape: str  # "service" (/), "bucket" (/{Bucket}), "object" (/{Bucket}/{Key+})
    literals: frozenset[str]  # query keys in the URI pattern: ?uploads, ?list-type=2
    required_query: frozenset[str]
    required_headers: frozenset[str]

    @property
    def specificity(self) -> int:
        return len(self.literals) + len(self.required_query) + len(self.required_headers)

    def matches(self, method: str, shape: str, params: Set[str], headers: Set[str]) -> bool:
        return (
            method == self.method
            and shape == self.shape
            and self.literals <= params
            and self.required_query <= params
            and self.required_headers <= headers
        )


@lru_cache(maxsize=1)
def routes() -> tuple[Route, ...]:
    """Every routable operation of botocore's S3 model, most specific first, deprecated aliases last."""
    from botocore.session import get_session

    model = get_session().get_service_model("s3")
    found = []
    for name in model.operation_names:
        if name in UNROUTED:
            continue
        operation = model.operation_model(name)
        path, _, query = operation.http["requestUri"].partition("?")
        shape = "object" if "{Key+}" in path else "bucket" if "{Bucket}" in path else "service"
        members = operation.input_shape.members if operation.input_shape else {}
        required = operation.input_shape.required_members if operation.input_shape else []
        located = [members[member].serialization for member in required]
        found.append(
            (
                operation.deprecated,
                Route(
                    operation=name,
                    method=operation.http["method"],
                    shape=shape,
                    literals=frozenset(urllib.parse.parse_qs(query, keep_blank_values=True)),
                    required_query=frozenset(
                        s["name"] for s in located if s.get("location") == "querystring"
                    ),
                    required_headers=frozenset(
                        s["name"].lower() for s in located if s.get("location") == "header"
                    ),
                ),
            )
        )
    found.sort(key=lambda item: (item[0], -item[1].specificity))
    return tuple(route for _, route in found)


def s3_operation(method: str, path: str, query: str, headers: Set[str] = frozenset()) -> str | None:
    """The S3 operation of a path-style request (`headers`: the names it carries, lower case)."""
    bucket, _, key = path.lstrip("/").partition("/")
    shape = "object" if key else "bucket" if bucket else "service"
    params = set(urllib.parse.parse_qs(query, keep_blank_values=True))
    names = {name.lower() for name in headers}
    for route in routes():
        if route.matches(method, shape, params, names):
            return route.operation
    return None
