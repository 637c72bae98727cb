"""TLS to the metadata database on AWS, verified against the RDS certificate authorities.

Encryption alone would let anyone who can answer on the database's address (a spoofed DNS answer, a
host in the VPC) pose as the database and collect the password. So both drivers verify the server:
its certificate must chain to an RDS CA and name the host connected to ("verify-full").

The CA bundle is AWS's global bundle (every RDS CA in every commercial Region; "Using SSL/TLS to encrypt
a connection to a DB instance or cluster", RDS User Guide), which the Airflow image's Dockerfile adds
at build time from `CA_BUNDLE_URL` to `CA_BUNDLE`. `FARFLOW_DATABASE_CA_BUNDLE` names another file
(an image that keeps it elsewhere; the tests' own CA); it changes which CAs are trusted, never whether.

- psycopg2 (libpq) takes `sslmode=verify-full&sslrootcert=...` in the URL (`sync_query`).
- asyncpg does not read libpq's options from keyword arguments, and SQLAlchemy passes a URL's query to
  `asyncpg.connect()` as keyword arguments, so the async URL carries none; Airflow gives the async
  engine `[database] sql_alchemy_connect_args_async`, an import path, and `ASYNC_CONNECT_ARGS` here
  is the `ssl` argument: an SSLContext that requires a certificate from the bundle and checks the host
  name (`ssl.create_default_context`).
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

CA_BUNDLE = "/opt/farflow/rds-ca-bundle.pem"
CA_BUNDLE_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
CA_BUNDLE_VARIABLE = "FARFLOW_DATABASE_CA_BUNDLE"
# Airflow's `[database] sql_alchemy_connect_args_async`: the attribute below, built when first read.
ASYNC_CONNECT_ARGS_PATH = f"{__name__}.ASYNC_CONNECT_ARGS"


class MissingCaBundleError(FileNotFoundError):
    """The image has no CA bundle at `CA_BUNDLE`; the message says which Dockerfile line adds it."""


def ca_bundle_path(environ: Mapping[str, str] = os.environ) -> str:
    """The CA bundle to verify the database against: `CA_BUNDLE` unless the environment names another."""
    return environ.get(CA_BUNDLE_VARIABLE) or CA_BUNDLE


def sync_query(ca_bundle: str) -> str:
    """The libpq options of the sync URL: verify the server's certificate and its host name."""
    return f"sslmode=verify-full&sslrootcert={quote(ca_bundle, safe='/')}"


def async_connect_args(ca_bundle: str) -> dict[str, Any]:
    """asyncpg's connect arguments: TLS that requires a certificate from `ca_bundle` for the host name."""
    if not Path(ca_bundle).is_file():
        raise MissingCaBundleError(
            f"{ca_bundle} is missing: the Airflow image needs the RDS CA bundle to verify the database. "
            f"Add to the project's Dockerfile: ADD --chmod=0644 {CA_BUNDLE_URL} {ca_bundle}"
        )
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_bundle)
    # create_default_context already requires a certificate and checks the host name; say so, since
    # that is the point of this module.
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return {"ssl": context}


def __getattr__(name: str) -> Any:
    """`ASYNC_CONNECT_ARGS`, built when Airflow imports it, so importing this module needs no bundle."""
    if name == "ASYNC_CONNECT_ARGS":
        return async_connect_args(ca_bundle_path())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
