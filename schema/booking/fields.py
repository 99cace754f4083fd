"""The citizen's side: book, look up, cancel, reschedule; and partner API keys."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.accounts import partners
from resolvers.booking import book, cancel, confirmation, find, holds, lookup, reschedule
from resolvers.booking.challenge import ChallengeGate
from resolvers.booking.freed_seats import OfferTiming
from schema.booking.challenge import challenge_gate
from schema.booking.types import Booking, BookingConfirmation, BookingMatches, PartnerKey, SlotHold
from schema.context import Info
from schema.errors import (
    ChallengeRequired,
    InvalidState,
    LimitExceeded,
    NotAllowed,
    NotFound,
    SlotUnavailable,
    ValidationError,
)
from schema.input_types import InputOf
from schema.operation import run_mutation, run_query, run_read

# InvalidState is added to the contract's union: a past, cancelled or checked-in booking cannot be moved
BookResult = Annotated[
    BookingConfirmation
    | SlotUnavailable
    | LimitExceeded
    | ValidationError
    | NotFound
    | NotAllowed
    | InvalidState
    | ChallengeRequired,
    strawberry.union("BookResult"),
]
CancelResult = Annotated[Booking | NotFound | NotAllowed | InvalidState, strawberry.union("CancelResult")]
# the contract's union also has ChallengeRequired: added with the challenge for automation (issue 14, part 2)
HoldResult = Annotated[
    SlotHold | SlotUnavailable | ChallengeRequired | LimitExceeded | ValidationError | NotFound,
    strawberry.union("HoldResult"),
]
# InvalidState.reason: CONFIRMATION_EXPIRED (too late: the seat went back on sale) or NOT_PENDING
ConfirmResult = Annotated[Booking | NotFound | InvalidState, strawberry.union("ConfirmResult")]
BookingSearchResult = Annotated[BookingMatches | ValidationError | NotAllowed, strawberry.union("BookingSearchResult")]
PartnerKeyResult = Annotated[PartnerKey | ValidationError | NotAllowed, strawberry.union("PartnerKeyResult")]


class BookInput(InputOf[book.BookInput]):
    pass


@strawberry.type
class BookingQuery:
    @strawberry.field(description="A citizen's own booking: the code and the manageToken together.")
    async def booking(self, info: Info, code: str, manage_token: str) -> Booking | None:
        secret_key = info.context.state.secret_key
        found = await run_query(info, lambda conn: lookup.by_code_and_token(conn, secret_key, code, manage_token))
        return Booking.from_record(found) if found else None

    @strawberry.field(description="Staff of the booking's office, or the partner that made it: a booking by code.")
    async def booking_by_code(self, info: Info, code: str) -> Booking | None:
        viewer = info.context.viewer
        found = await run_query(info, lambda conn: lookup.for_reading(conn, viewer, code))
        return Booking.from_record(found) if found else None

    @strawberry.field(
        description="The phone line: a caller's open (PENDING or BOOKED) bookings by document, phone, e-mail or "
        "whole name, each an exact match once normalised (accents, case and spaces of a name; a phone in any "
        "national or international form), several narrowing together. At least one is needed; at most "
        f"{find.MAX_LIMIT} answers, soonest first. Staff only: OPERATOR, CLERK and MANAGER see their offices' "
        "bookings (an OPERATOR without an office, and ADMIN, every office). Rate-limited per staff user "
        "(TURNERO_RATE_LOOKUPS); each search is logged with who asked, never what."
    )
    async def find_bookings(
        self,
        info: Info,
        document: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        name: str | None = None,
        limit: int = find.DEFAULT_LIMIT,
    ) -> BookingSearchResult:
        viewer, secret_key = info.context.viewer, info.context.state.secret_key
        search = find.BookingSearch(document=document, phone=phone, email=email, name=name, limit=limit)
        return await run_read(
            info, lambda conn: find.find_bookings(conn, viewer, secret_key, search), BookingMatches.from_records
        )


@strawberry.type
class BookingMutation:
    @strawberry.mutation
    async def book(self, info: Info, input: BookInput) -> BookResult:
        data = input.data()
        viewer, secret_key = info.context.viewer, info.context.state.secret_key
        gate: ChallengeGate | None = challenge_gate(info, data.challenge)
        settings = info.context.state.settings
        minutes, timing = settings.confirm_minutes, OfferTiming.from_settings(settings)
        if book.alone(data):
            # BEGIN and COMMIT fold into book_one's own statement: two round trips instead of four
            try:
                return await run_mutation(
                    info,
                    lambda conn: book.book(
                        conn,
                        viewer,
                        secret_key,
                        data,
                        gate,
                        timing=timing,
                        confirm_minutes=minutes,
                        in_transaction=False,
                    ),
                    BookingConfirmation.from_record,
                    locale=data.citizen.locale,
                    transaction=False,
                )
            except book.NeedsTransaction as needs:
                gate = None if needs.gate_passed else gate
        return await run_mutation(
            info,
            lambda conn: book.book(conn, viewer, secret_key, data, gate, timing=timing, confirm_minutes=minutes),
            BookingConfirmation.from_record,
            locale=data.citizen.locale,
        )

    @strawberry.mutation(
        description="A PENDING booking (its service asks for confirmation) becomes BOOKED: the code and the "
        "manageToken from the mailed link, before the booking's confirmBy."
    )
    async def confirm_booking(self, info: Info, code: str, manage_token: str) -> ConfirmResult:
        secret_key = info.context.state.secret_key
        return await run_mutation(
            info, lambda conn: confirmation.confirm(conn, secret_key, code, manage_token), Booking.from_record
        )

    @strawberry.mutation(
        description="Holds one seat of the slot for TURNERO_HOLD_MINUTES while the citizen fills in the form: "
        "availability counts it as taken, and `book` with its token takes it whoever else is booking. At most "
        "2 live holds per client address. challenge: the solved ALTCHA payload where the service asks for one."
    )
    async def hold_slot(
        self,
        info: Info,
        slot_id: strawberry.ID,
        challenge: str | None = None,
        party_size: Annotated[
            int | None,
            strawberry.argument(
                description="A party's seats, held together (default 1, at most the service's maxPartySize); "
                "`book` with the token brings as many people."
            ),
        ] = None,
    ) -> HoldResult:
        context = info.context
        viewer, secret_key, address = context.viewer, context.state.secret_key, context.client_address
        minutes = context.state.settings.hold_minutes
        gate = challenge_gate(info, challenge)
        seats = 1 if party_size is None else party_size
        return await run_mutation(
            info,
            lambda conn: holds.hold_slot(conn, viewer, secret_key, address, slot_id, minutes, gate, seats),
            SlotHold.from_record,
        )

    @strawberry.mutation(
        description="Gives a held seat back before its hold expires (the citizen picked another time); false when "
        "the token holds nothing (used, expired or unknown)."
    )
    async def release_hold(self, info: Info, token: str) -> bool:
        secret_key = info.context.state.secret_key
        return bool(await run_mutation(info, lambda conn: holds.release_hold(conn, secret_key, token), bool))

    @strawberry.mutation(
        description="Citizens pass code and manageToken; staff and partners with rights over the booking pass the "
        "code alone."
    )
    async def cancel_booking(
        self, info: Info, code: str, manage_token: str | None = None, reason: str | None = None
    ) -> CancelResult:
        viewer, secret_key = info.context.viewer, info.context.state.secret_key
        timing = OfferTiming.from_settings(info.context.state.settings)
        return await run_mutation(
            info,
            lambda conn: cancel.cancel(conn, viewer, secret_key, code, manage_token, reason, timing),
            Booking.from_record,
        )

    @strawberry.mutation(
        description="Atomic: the new slot is taken and the old one freed together, or nothing changes."
    )
    async def reschedule_booking(
        self,
        info: Info,
        code: str,
        slot_id: strawberry.ID,
        manage_token: str | None = None,
        idempotency_key: str | None = None,
    ) -> BookResult:
        viewer, secret_key = info.context.viewer, info.context.state.secret_key
        timing = OfferTiming.from_settings(info.context.state.settings)
        return await run_mutation(
            info,
            lambda conn: reschedule.reschedule(
                conn, viewer, secret_key, code, slot_id, manage_token, idempotency_key, timing
            ),
            BookingConfirmation.from_record,
        )

    @strawberry.mutation(
        description="ADMIN: an API key for a partner application (created on first use). scopes: bookings:read "
        "(read the bookings it made), bookings:write (book, cancel, reschedule); both when omitted."
    )
    async def issue_partner_key(
        self, info: Info, partner: str, name: str, scopes: list[str] | None = None
    ) -> PartnerKeyResult:
        viewer, secret_key = info.context.viewer, info.context.state.secret_key
        return await run_mutation(
            info,
            lambda conn: partners.issue_partner_key(conn, viewer, secret_key, partner, name, scopes),
            lambda record: PartnerKey(
                token=record.token,
                partner=record.partner,
                name=record.name,
                scopes=list(record.scopes),
                id=strawberry.ID(str(record.id)),
            ),
        )
