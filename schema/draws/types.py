"""Release draws as GraphQL sees them: an entry, its result, and the release calendar."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from models.catalogue import ReleasePolicy
from models.draws import DrawEntryStatus
from resolvers.agenda.release_windows import ReleaseWindowRecord
from resolvers.draws.entries import DrawEntryRecord
from resolvers.waitlist import entries as waitlist_entries
from schema.agenda.types import Slot
from schema.catalogue.types import Service, load_service
from schema.context import Info
from schema.operation import run_query
from schema.waitlist.types import WaitlistEntry

strawberry.enum(
    DrawEntryStatus,
    description="ENTERED until the draw; then WON (a booking), WAITLISTED (no suitable seat was left: a place on "
    "the waitlist), or INELIGIBLE (the person already held the procedure's most bookings); WITHDRAWN by its holder.",
)


@strawberry.type(
    description="An entry to a procedure's release draw. At the window's close the entries are drawn in a random "
    "order from a seeded, logged source; each gets the earliest free seat that suits it, or a place on the waitlist."
)
class DrawEntry:
    id: strawberry.ID
    status: DrawEntryStatus
    manage_token: str | None = strawberry.field(
        description="Returned once, by enterDraw: the proof for drawEntry and withdrawDrawEntry, and for the "
        "waitlist entry a WAITLISTED entry became (waitlistEntry)."
    )
    draw_closes_at: datetime = strawberry.field(description="When entries close and the draw runs.")
    date_from: Annotated[date, strawberry.field(name="from")]
    date_to: Annotated[date, strawberry.field(name="to")]
    booking_code: str | None = strawberry.field(
        description="WON: the booking's code (its manage link was mailed to the person)."
    )
    service_pk: strawberry.Private[int]
    slot_pk: strawberry.Private[int | None]
    waitlist_pk: strawberry.Private[int | None]

    @strawberry.field
    async def service(self, info: Info) -> Service:
        return await load_service(info, self.service_pk)

    @strawberry.field(description="WON: the seat drawn.")
    async def slot(self, info: Info) -> Slot | None:
        if self.slot_pk is None:
            return None
        found = await info.context.loaders.slots_by_id.load(self.slot_pk)
        return Slot.from_record(found) if found is not None else None

    @strawberry.field(description="WAITLISTED: the place on the waitlist (the same manageToken manages it).")
    async def waitlist_entry(self, info: Info) -> WaitlistEntry | None:
        number = self.waitlist_pk
        if number is None:
            return None
        found = await run_query(info, lambda conn: waitlist_entries.read(conn, number))
        return WaitlistEntry.from_record(found)

    @classmethod
    def from_record(cls, record: DrawEntryRecord) -> DrawEntry:
        return cls(
            id=strawberry.ID(str(record.id)),
            status=record.status,
            manage_token=record.manage_token,
            draw_closes_at=record.draw_closes_at,
            date_from=record.from_date,
            date_to=record.to_date,
            booking_code=record.booking_code,
            service_pk=record.service_id,
            slot_pk=record.slot_id,
            waitlist_pk=record.waitlist_entry_id,
        )


@strawberry.type(
    description="A release of a procedure's seats: one open for entries now, or the next nightly one. Under DRAW "
    "nobody needs to be there at the release: entries are taken until drawClosesAt."
)
class ReleaseWindow:
    releases_at: datetime = strawberry.field(description="When the seats are (or were) released.")
    policy: ReleasePolicy
    draw_closes_at: datetime | None = strawberry.field(
        description="Under DRAW: entries are taken until then, and the draw runs; null under FIRST_COME."
    )
    entries_open: bool = strawberry.field(description="enterDraw takes entries for this release now.")
    date_from: Annotated[date | None, strawberry.field(name="from", description="The first day released.")]
    date_to: Annotated[date | None, strawberry.field(name="to", description="The last day released.")]

    @classmethod
    def from_record(cls, record: ReleaseWindowRecord) -> ReleaseWindow:
        return cls(
            releases_at=record.releases_at,
            policy=record.policy,
            draw_closes_at=record.draw_closes_at,
            entries_open=record.entries_open,
            date_from=record.from_date,
            date_to=record.to_date,
        )
