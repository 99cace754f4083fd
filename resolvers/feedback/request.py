"""Asking for feedback on one visit: the request row behind the link in the feedback mail."""

from __future__ import annotations

from sqlalchemy import LargeBinary, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from core.manage_tokens import new_nonce
from models.notifications import Feedback
from models.queue import Ticket
from resolvers.feedback.tokens import feedback_token, feedback_token_hash


async def request_feedback(conn: AsyncConnection, secret_key: bytes, ticket_id: int) -> str | None:
    """The feedback token for a visit (the same on every call), or None when the ticket does not exist."""
    nonce = new_nonce()
    token_hash = feedback_token_hash(secret_key, feedback_token(secret_key, nonce))
    visit = select(
        Ticket.id,
        Ticket.booking_id,
        Ticket.office_id,
        Ticket.service_id,
        literal(nonce, LargeBinary),
        literal(token_hash, LargeBinary),
    ).where(Ticket.id == ticket_id)
    # one row per ticket: a resent mail (a retried outbox row) finds the first row and derives the same token
    await conn.execute(
        insert(Feedback)
        .from_select(["ticket_id", "booking_id", "office_id", "service_id", "token_nonce", "token_hash"], visit)
        .on_conflict_do_nothing(index_elements=[Feedback.ticket_id])
    )
    stored = (await conn.execute(select(Feedback.token_nonce).where(Feedback.ticket_id == ticket_id))).scalar()
    return feedback_token(secret_key, bytes(stored)) if stored is not None else None
