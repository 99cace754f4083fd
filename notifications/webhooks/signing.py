"""Standard Webhooks signatures (symmetric, `v1`): HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`.

Each endpoint's signing key is derived from its random nonce with the installation's secret key, so the
database never holds it and a copy of the database alone cannot forge a delivery. Partners receive it once,
at registration, as `whsec_` + base64 of the 32 key bytes: the form Standard Webhooks libraries read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from core.security import derived_key

SECRET_PREFIX = "whsec_"


def endpoint_key(secret_key: bytes, nonce: bytes) -> bytes:
    return derived_key(secret_key, f"webhook-endpoint:{nonce.hex()}")


def shown_secret(key: bytes) -> str:
    return SECRET_PREFIX + base64.b64encode(key).decode()


def new_message_id() -> str:
    """The `webhook-id`: URL-safe characters only, never a `.` (the signed content is dot-delimited)."""
    return "msg_" + secrets.token_urlsafe(18)


def signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(key: bytes, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(key, message_id, timestamp, body),
    }
