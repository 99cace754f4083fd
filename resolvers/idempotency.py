"""Idempotency keys: (scope, key) is unique; the first successful result is returned to every replay.

The key row is written in the same transaction as the change it guards. A concurrent request with the
same key waits on that row: if the first commits, it reads the stored result; if the first rolls back
(a refusal writes nothing), it runs itself.

The scope is who proved what, and a replay is only looked up after that proof was checked: a staff user,
device or partner is its own scope; an anonymous caller has none of its own, so its keys live in the
booking whose manage token it showed, or (for `book`) in the citizen document it booked for. Another
caller sending the same key reaches another row, never someone else's stored result.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import ValidationFailed
from core.messages import msg
from models.booking import idempotency_keys
from resolvers.accounts.viewer import ANONYMOUS, Viewer

MAX_KEY_LENGTH = 100
# the scope column holds 60 characters: 20 bytes of a keyed hash are plenty to keep documents apart
_DOCUMENT_SCOPE_BYTES = 20

_k = idempotency_keys.c
_THIS_KEY = (_k.caller == bindparam("this_caller"), _k.key == bindparam("this_key"))
# the values come from the parameters, by column name
_CLAIM = insert(idempotency_keys).on_conflict_do_nothing().returning(_k.caller)
_STORED = select(_k.operation, _k.request_hash, _k.result).where(*_THIS_KEY)
_REMEMBER = update(idempotency_keys).where(*_THIS_KEY)


def document_scope(viewer: Viewer, secret_key: bytes, document_hash: bytes) -> str:
    """`book`: an anonymous caller's keys belong to the document it books for (a keyed hash of the
    normalised document, itself hashed again so the scope cannot be joined to bookings.document_hash)."""
    return _hashed_scope(viewer, secret_key, "document", document_hash)


def contact_scope(viewer: Viewer, secret_key: bytes, contact_hash: bytes) -> str:
    """`joinQueue`: an anonymous caller's keys belong to the contact (e-mail, else phone hash) it joins with."""
    return _hashed_scope(viewer, secret_key, "contact", contact_hash)


def _hashed_scope(viewer: Viewer, secret_key: bytes, label: str, key_hash: bytes) -> str:
    if viewer.caller != ANONYMOUS.caller:
        return viewer.caller
    digest = hmac.new(secret_key, f"idempotency-{label}:".encode() + key_hash, hashlib.sha256).digest()
    return f"{label}:" + digest[:_DOCUMENT_SCOPE_BYTES].hex()


def booking_scope(viewer: Viewer, booking_id: int) -> str:
    """Changes to a booking: an anonymous caller's keys belong to the booking its manage token opened."""
    return viewer.caller if viewer.caller != ANONYMOUS.caller else f"booking:{booking_id}"


def request_hash(operation: str, **fields: object) -> bytes:
    return hashlib.sha256(json.dumps([operation, fields], sort_keys=True, default=str).encode()).digest()


async def claim(
    conn: AsyncConnection, caller: str, key: str, operation: str, fingerprint: bytes
) -> dict[str, Any] | None:
    """None when this request owns the key; the stored result when it is a replay.

    `caller` is the scope, and the caller must already have proved its right to it: nothing is checked here.
    """
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise ValidationFailed(
            "idempotencyKey", msg("idempotencyKey must be 1 to {max} characters.", max=MAX_KEY_LENGTH)
        )
    owned = (
        await conn.execute(
            _CLAIM,
            {"caller": caller, "key": key, "operation": operation, "request_hash": fingerprint},
        )
    ).scalar()
    if owned:
        return None
    row = (
        await conn.execute(
            _STORED,
            {"this_caller": caller, "this_key": key},
        )
    ).one()
    if row.operation != operation or bytes(row.request_hash) != fingerprint:
        raise ValidationFailed("idempotencyKey", "This idempotencyKey was already used for a different request.")
    result: dict[str, Any] = row.result
    return result


async def remember(conn: AsyncConnection, caller: str, key: str, result: dict[str, Any]) -> None:
    await conn.execute(
        _REMEMBER,
        {"this_caller": caller, "this_key": key, "result": result},
    )
