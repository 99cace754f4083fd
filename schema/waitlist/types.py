"""The waitlist as GraphQL sees it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from models.waitlist import WaitlistStatus
from resolvers.waitlist.entries import WaitlistRecord
from schema.catalogue.types import Service, load_service
from schema.context import Info

strawberry.enum(WaitlistStatus)


@strawberry.type(
    description="A place on a procedure's waitlist. A seat that frees up is offered to the first entry that "
    "matches it before anyone else can see it."
)
class WaitlistEntry:
    id: strawberry.ID
    status: WaitlistStatus
    position: int | None = strawberry.field(
        description="Among the people still waiting for this procedure, from 1; null once not waiting."
    )
    manage_token: str | None = strawberry.field(
        description="Returned once, by joinWaitlist: the proof for waitlistEntry, leaveWaitlist and acceptOffer."
    )
    offer_expires_at: datetime | None = strawberry.field(description="While OFFERED: until when the seat is kept.")
    date_from: Annotated[date, strawberry.field(name="from")]
    date_to: Annotated[date, strawberry.field(name="to")]
    service_pk: strawberry.Private[int]

    @strawberry.field
    async def service(self, info: Info) -> Service:
        return await load_service(info, self.service_pk)

    @classmethod
    def from_record(cls, record: WaitlistRecord) -> WaitlistEntry:
        return cls(
            id=strawberry.ID(str(record.id)),
            status=record.status,
            position=record.position,
            manage_token=record.manage_token,
            offer_expires_at=record.offer_expires_at,
            date_from=record.from_date,
            date_to=record.to_date,
            service_pk=record.service_id,
        )
