"""Manage tokens: a citizen's proof for a booking, a waitlist or a draw entry, derived from the record's random
nonce with the secret key. Never stored (only their keyed hash), re-derivable for idempotent replays and for
the links in mails, which is why they sit below both the operations and the mail composition."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

NONCE_BYTES = 16


def new_nonce() -> bytes:
    return secrets.token_bytes(NONCE_BYTES)


def manage_token(secret_key: bytes, nonce: bytes) -> str:
    """256 bits derived from the booking's random nonce: re-derivable for idempotent replays, never stored."""
    digest = hmac.new(secret_key, b"manage:" + nonce, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def manage_token_hash(secret_key: bytes, token: str) -> bytes:
    return hmac.new(secret_key, b"manage-hash:" + token.encode(), hashlib.sha256).digest()
