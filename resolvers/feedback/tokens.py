"""Feedback tokens: like manage tokens, derived from a per-visit nonce with the secret key and never stored.

Derivation (not a stored random token) lets a resent feedback mail carry the same link; only a keyed hash
is kept, so a copy of the database alone cannot answer for anybody.
"""

from __future__ import annotations

from core.security import derived_secret, token_hash

# 43 URL-safe base64 characters carry all 256 bits of the HMAC
TOKEN_LENGTH = 43


def feedback_token(secret_key: bytes, nonce: bytes) -> str:
    return derived_secret(secret_key, f"feedback:{nonce.hex()}", TOKEN_LENGTH)


def feedback_token_hash(secret_key: bytes, token: str) -> bytes:
    return token_hash(secret_key, token)
