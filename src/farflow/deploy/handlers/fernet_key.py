"""Custom resource: put a real Fernet key into the Fernet key secret.

Secrets Manager generates passwords, but Airflow's `[core] fernet_key` must be 32 url-safe base64-encoded
bytes, so this handler writes one on Create, and on Update only if the secret does not hold a valid key
yet: a key once written is never replaced (that would make every encrypted connection unreadable).
The key never leaves the secret: it is not returned, logged or put in the template.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

KEY_BYTES = 32


def is_fernet_key(value: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(value.encode("ascii"))) == KEY_BYTES
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False


def new_fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def on_event(event: dict[str, Any], context: object = None, client: Any = None) -> dict[str, Any]:
    secret_id = event["ResourceProperties"]["SecretId"]
    if event["RequestType"] != "Delete":
        if client is None:
            import boto3

            client = boto3.client("secretsmanager")
        current = client.get_secret_value(SecretId=secret_id).get("SecretString", "")
        if not is_fernet_key(current):
            client.put_secret_value(SecretId=secret_id, SecretString=new_fernet_key())
    return {"PhysicalResourceId": secret_id}
