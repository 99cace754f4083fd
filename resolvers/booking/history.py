"""What happens to a booking is appended, never rewritten: its history and the outbox of notifications."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from models.booking import BookingStatus, Channel


async def record_event(
    conn: AsyncConnection,
    booking_id: int,
    status: BookingStatus,
    channel: Channel | None,
    actor: str,
    note: str | None = None,
) -> None:
    await conn.execute(
        text("""INSERT INTO booking_events (booking_id, status, channel, actor, note)
                VALUES (:booking_id, CAST(:status AS booking_status), CAST(:channel AS channel), :actor, :note)"""),
        {
            "booking_id": booking_id,
            "status": status.value,
            "channel": channel.value if channel else None,
            "actor": actor,
            "note": note,
        },
    )


async def enqueue(conn: AsyncConnection, kind: str, booking_id: int, payload: dict[str, Any] | None = None) -> None:
    """Written in the change's own transaction: a rolled-back change never notifies, a committed one always can."""
    await conn.execute(
        text("INSERT INTO outbox (kind, booking_id, payload) VALUES (:kind, :booking_id, CAST(:payload AS jsonb))"),
        {"kind": kind, "booking_id": booking_id, "payload": json.dumps(payload or {})},
    )
