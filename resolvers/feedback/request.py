"""Asking for feedback on one visit: the request row behind the link in the feedback mail."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.manage_tokens import new_nonce
from resolvers.feedback.tokens import feedback_token, feedback_token_hash

# One row per ticket: a resent mail (a retried outbox row) finds the first row and derives the same token.
_ASK = text("""
    INSERT INTO feedback (ticket_id, booking_id, office_id, service_id, token_nonce, token_hash)
    SELECT t.id, t.booking_id, t.office_id, t.service_id, :nonce, :token_hash FROM tickets t WHERE t.id = :ticket_id
    ON CONFLICT (ticket_id) DO NOTHING
""")
_NONCE = text("SELECT token_nonce FROM feedback WHERE ticket_id = :ticket_id")


async def request_feedback(conn: AsyncConnection, secret_key: bytes, ticket_id: int) -> str | None:
    """The feedback token for a visit (the same on every call), or None when the ticket does not exist."""
    nonce = new_nonce()
    await conn.execute(
        _ASK,
        {
            "ticket_id": ticket_id,
            "nonce": nonce,
            "token_hash": feedback_token_hash(secret_key, feedback_token(secret_key, nonce)),
        },
    )
    stored = (await conn.execute(_NONCE, {"ticket_id": ticket_id})).scalar()
    return feedback_token(secret_key, bytes(stored)) if stored is not None else None
