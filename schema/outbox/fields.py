"""Admins' window on the outbox: failed notifications, why they failed, and a retry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from resolvers.outbox import admin
from resolvers.outbox.admin import MAX_LIMIT, OutboxMessageRecord
from schema.bounds import ListBound
from schema.context import Info
from schema.errors import InvalidState, NotAllowed, NotFound
from schema.operation import run_mutation, run_query


@strawberry.type(description="A notification the worker sends (mail to the citizen, webhooks to a partner).")
class OutboxMessage:
    id: strawberry.ID
    kind: str
    booking_id: strawberry.ID | None
    status: str = strawberry.field(description="PENDING, SENT or FAILED (gave up; see lastError).")
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def from_record(cls, record: OutboxMessageRecord) -> OutboxMessage:
        return cls(
            id=strawberry.ID(str(record.id)),
            kind=record.kind,
            booking_id=strawberry.ID(str(record.booking_id)) if record.booking_id else None,
            status=record.status,
            attempts=record.attempts,
            next_attempt_at=record.next_attempt_at,
            last_error=record.last_error,
            created_at=record.created_at,
            sent_at=record.sent_at,
        )


OutboxMessageResult = Annotated[
    OutboxMessage | NotFound | NotAllowed | InvalidState, strawberry.union("OutboxMessageResult")
]


@strawberry.type
class OutboxQuery:
    @strawberry.field(
        description="ADMIN: outbox messages by status, newest first (default: the FAILED ones).",
        extensions=[ListBound.argument("limit", MAX_LIMIT)],
    )
    async def outbox_messages(self, info: Info, status: str = "FAILED", limit: int = 50) -> list[OutboxMessage]:
        viewer = info.context.viewer
        records = await run_query(info, lambda conn: admin.messages(conn, viewer, status, limit))
        return [OutboxMessage.from_record(record) for record in records]


@strawberry.type
class OutboxMutation:
    @strawberry.mutation(description="ADMIN: sends a FAILED message again, with a fresh count of attempts.")
    async def retry_outbox_message(self, info: Info, id: strawberry.ID) -> OutboxMessageResult:
        viewer = info.context.viewer
        result: Any = await run_mutation(info, lambda conn: admin.retry(conn, viewer, id), OutboxMessage.from_record)
        return result
