from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from models.booking import PARTNER_SCOPES, BookingStatus, Channel
from notifications.mail.compose import booking_calendar
from notifications.mail.qr import qr_png
from notifications.mail.render import language as mail_language
from resolvers.booking import find, party
from resolvers.booking.holds import HoldRecord
from resolvers.booking.records import BookingEventRecord, BookingRecord, ConfirmationRecord
from resolvers.catalogue.services import MAX_PARTY_SIZE
from resolvers.outbox.mail import booking_facts
from schema.agenda.types import Slot, zone
from schema.bounds import MAX_BOOKING_EVENTS, ListBound
from schema.catalogue.types import Office, Service, load_office, load_service
from schema.context import Info
from schema.operation import run_query

if TYPE_CHECKING:
    from schema.queue.types import Ticket

# the model's enums are the GraphQL enums: one set of names in SQL, Python and GraphQL
strawberry.enum(Channel)
strawberry.enum(BookingStatus)


@strawberry.type
class Citizen:
    name: str
    email: str | None
    phone: str | None
    document_hint: str = strawberry.field(
        description="Never the full document number: only its last characters, e.g. ***4567."
    )


@strawberry.type(description="A person booked together with the citizen: one seat of the same slot.")
class Companion:
    name: str
    document_hint: str = strawberry.field(description="Only the document's last characters, e.g. ***4567.")


@strawberry.type
class BookingEvent:
    at: datetime
    status: BookingStatus
    channel: Channel | None
    note: str | None

    @classmethod
    def from_record(cls, record: BookingEventRecord) -> BookingEvent:
        return cls(at=record.at, status=record.status, channel=record.channel, note=record.note)


@strawberry.type
class Booking:
    id: strawberry.ID
    code: str = strawberry.field(
        description="Short code printed and spoken, unambiguous characters only, unique among open bookings."
    )
    status: BookingStatus
    starts_at: datetime
    ends_at: datetime
    citizen: Citizen
    channel: Channel
    created_at: datetime
    confirm_by: datetime | None = strawberry.field(
        description="PENDING only: confirm (`confirmBooking`) before this, or the booking is cancelled and its "
        "seat goes back on sale."
    )
    party_size: int = strawberry.field(
        description="How many people the booking is for (the citizen and the companions): as many seats of the slot."
    )
    record: strawberry.Private[BookingRecord]

    @classmethod
    def from_record(cls, record: BookingRecord) -> Booking:
        office_zone = zone(record.timezone)
        return cls(
            id=strawberry.ID(str(record.id)),
            code=record.code,
            status=record.status,
            starts_at=record.starts_at.astimezone(office_zone),
            ends_at=record.ends_at.astimezone(office_zone),
            citizen=Citizen(
                name=record.citizen_name,
                email=record.citizen_email,
                phone=record.citizen_phone,
                document_hint=record.document_hint,
            ),
            channel=record.channel,
            created_at=record.created_at.astimezone(office_zone),
            confirm_by=record.confirm_by.astimezone(office_zone) if record.confirm_by else None,
            party_size=record.party_size,
            record=record,
        )

    @strawberry.field
    async def service(self, info: Info) -> Service:
        return await load_service(info, self.record.service_id)

    @strawberry.field
    async def office(self, info: Info) -> Office:
        return await load_office(info, self.record.office_id)

    @strawberry.field
    async def slot(self, info: Info) -> Slot:
        slot = await info.context.loaders.slots_by_id.load(self.record.slot_id)
        assert slot is not None, "a booking's slot is never deleted"
        return Slot.from_record(slot)

    @strawberry.field(description="The ticket this booking became at check-in (after a transfer, the current one).")
    async def ticket(self, info: Info) -> Annotated[Ticket, strawberry.lazy("schema.queue.types")] | None:
        from schema.queue.types import Ticket

        record = await info.context.loaders.ticket_by_booking.load(self.record.id)
        return Ticket.from_record(record) if record else None

    @strawberry.field(
        description="The people booked with the citizen, in the order given.",
        extensions=[ListBound(MAX_PARTY_SIZE)],
    )
    async def companions(self, info: Info) -> list[Companion]:
        if self.record.party_size == 1:
            return []  # no query for the usual booking of one
        found = await run_query(info, lambda conn: party.companions_of(conn, self.record.id))
        return [Companion(name=name, document_hint=hint) for name, hint in found]

    @strawberry.field(extensions=[ListBound(MAX_BOOKING_EVENTS)])
    async def history(self, info: Info) -> list[BookingEvent]:
        events = await info.context.loaders.events_by_booking.load(self.record.id)
        return [BookingEvent.from_record(event) for event in events]

    @strawberry.field(
        description="The booking code as a QR image for the kiosk's scanner, as the confirmation mail shows it: "
        "a data: URL of a PNG."
    )
    def qr_code(self) -> str:
        return "data:image/png;base64," + base64.b64encode(qr_png(self.record.code)).decode("ascii")

    @strawberry.field(
        description="The appointment as a calendar file (RFC 5545 text), the one the confirmation mail carries: "
        "importing both keeps one event. language: es or en (default: the booking's)."
    )
    async def calendar_file(self, info: Info, language: str | None = None) -> str:
        lang = mail_language(language) if language else None
        facts = await run_query(info, lambda conn: booking_facts(conn, self.record.id, language=lang))
        assert facts is not None, "a booking that was read is never deleted"
        lang = lang or mail_language(facts.citizen_locale)
        return booking_calendar(info.context.state.settings, facts, lang).decode("utf-8")


@strawberry.type(
    description="Returned once, on booking: the manageToken is the citizen's proof for cancel and reschedule."
)
class BookingConfirmation:
    booking: Booking
    manage_token: str

    @classmethod
    def from_record(cls, record: ConfirmationRecord) -> BookingConfirmation:
        return cls(booking=Booking.from_record(record.booking), manage_token=record.manage_token)


def _search_limit(arguments: Mapping[str, Any]) -> int:
    limit = arguments.get("limit", find.DEFAULT_LIMIT)
    return limit if isinstance(limit, int) and not isinstance(limit, bool) else find.MAX_LIMIT


@strawberry.type(description="What findBookings found: the caller's open bookings, soonest first.")
class BookingMatches:
    bookings: list[Booking] = strawberry.field(extensions=[ListBound(find.MAX_LIMIT, parent_size=_search_limit)])

    @classmethod
    def from_records(cls, records: list[BookingRecord]) -> BookingMatches:
        return cls(bookings=[Booking.from_record(record) for record in records])


@strawberry.type(description="Returned once, when issued: only a hash of the key is kept.")
class PartnerKey:
    token: str
    partner: str
    name: str
    scopes: list[str] = strawberry.field(extensions=[ListBound(len(PARTNER_SCOPES))])
    id: strawberry.ID = strawberry.field(description="The key's ID, for revokePartnerKey.")


@strawberry.type(
    description="A seat held while the citizen fills in the form: `book` with this token (BookInput.holdToken) "
    "before expiresAt takes it; after that the seat goes back by itself. The token is returned once."
)
class SlotHold:
    token: str
    slot: Slot
    expires_at: datetime

    @classmethod
    def from_record(cls, record: HoldRecord) -> SlotHold:
        return cls(
            token=record.token,
            slot=Slot.from_record(record.slot),
            expires_at=record.expires_at.astimezone(zone(record.slot.timezone)),
        )
