"""Standard Webhooks signatures (symmetric, `v1`): HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`.

Each endpoint's signing key is derived from its random nonce with the installation's secret key, so the
database never holds it and a copy of the database alone cannot forge a delivery. Partners receive it once,
at registration or rotation, as `whsec_` + base64 of the 32 key bytes: the form Standard Webhooks libraries
read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

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


def headers(keys: Sequence[bytes], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """One signature per key, space-delimited: the current key's, and while a rotation lasts the previous one's
    (a receiver accepts the delivery when any of them verifies)."""
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(key, message_id, timestamp, body) for key in keys),
    }
