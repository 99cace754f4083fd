"""Idempotency keys: (caller, key) is unique; the first successful result is returned to every replay.

The key row is written in the same transaction as the change it guards. A concurrent request with the
same key waits on that row: if the first commits, it reads the stored result; if the first rolls back
(a refusal writes nothing), it runs itself.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import ValidationFailed

MAX_KEY_LENGTH = 100


def request_hash(operation: str, **fields: object) -> bytes:
    return hashlib.sha256(json.dumps([operation, fields], sort_keys=True, default=str).encode()).digest()


async def claim(
    conn: AsyncConnection, caller: str, key: str, operation: str, fingerprint: bytes
) -> dict[str, Any] | None:
    """None when this request owns the key; the stored result when it is a replay."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise ValidationFailed("idempotencyKey", f"idempotencyKey must be 1 to {MAX_KEY_LENGTH} characters.")
    owned = (
        await conn.execute(
            text("""INSERT INTO idempotency_keys (caller, key, operation, request_hash)
                    VALUES (:caller, :key, :operation, :hash) ON CONFLICT DO NOTHING RETURNING 1"""),
            {"caller": caller, "key": key, "operation": operation, "hash": fingerprint},
        )
    ).scalar()
    if owned:
        return None
    row = (
        await conn.execute(
            text("SELECT operation, request_hash, result FROM idempotency_keys WHERE caller = :caller AND key = :key"),
            {"caller": caller, "key": key},
        )
    ).one()
    if row.operation != operation or bytes(row.request_hash) != fingerprint:
        raise ValidationFailed("idempotencyKey", "This idempotencyKey was already used for a different request.")
    result: dict[str, Any] = row.result
    return result


async def remember(conn: AsyncConnection, caller: str, key: str, result: dict[str, Any]) -> None:
    await conn.execute(
        text("UPDATE idempotency_keys SET result = CAST(:result AS jsonb) WHERE caller = :caller AND key = :key"),
        {"caller": caller, "key": key, "result": json.dumps(result)},
    )
