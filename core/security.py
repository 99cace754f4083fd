"""Secrets at rest: argon2 for passwords, keyed SHA-256 for bearer tokens (looked up on every request)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# verifying against this when the user does not exist keeps a wrong username as slow as a wrong password
_DUMMY_HASH = _hasher.hash("not a password of anybody")

TOKEN_BYTES = 32


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token(prefix: str) -> str:
    """A bearer token; the prefix (`ts_` staff session, `td_` device) only helps people reading logs."""
    return prefix + secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(secret_key: bytes, token: str) -> bytes:
    return hmac.new(secret_key, token.encode(), hashlib.sha256).digest()


def derived_key(secret_key: bytes, purpose: str) -> bytes:
    """32 bytes for one purpose (a webhook endpoint's signing key…), derived from the installation's key."""
    return hmac.new(secret_key, purpose.encode(), hashlib.sha256).digest()


def derived_secret(secret_key: bytes, purpose: str, length: int = 24) -> str:
    """A stable secret for one purpose (demo accounts), derived from the installation's key, never stored."""
    return base64.urlsafe_b64encode(derived_key(secret_key, purpose)).decode()[:length]
