"""Joining, reading and leaving a procedure's waitlist: anyone, with the entry's manage token once joined."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated

import strawberry

from resolvers.booking.citizen import CitizenInput as CitizenData
from resolvers.waitlist import accept, entries
from resolvers.waitlist.offers import OfferTiming
from schema.booking.challenge import challenge_gate
from schema.booking.fields import BookResult, CitizenInput
from schema.booking.types import BookingConfirmation
from schema.context import Info
from schema.errors import (
    ChallengeRequired,
    InvalidState,
    LimitExceeded,
    NotFound,
    ValidationError,
    run_mutation,
    run_query,
)
from schema.waitlist.types import WaitlistEntry

WaitlistResult = Annotated[
    WaitlistEntry | ChallengeRequired | LimitExceeded | ValidationError | NotFound, strawberry.union("WaitlistResult")
]
LeaveWaitlistResult = Annotated[WaitlistEntry | NotFound | InvalidState, strawberry.union("LeaveWaitlistResult")]


@strawberry.input
class WaitlistInput:
    service_id: strawberry.ID
    office_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The offices the person can go to; none: any office that offers the procedure."
    )
    date_from: Annotated[date, strawberry.field(name="from")]
    date_to: Annotated[date, strawberry.field(name="to")]
    citizen: CitizenInput
    challenge: str | None = strawberry.field(
        default=None, description="A solved bookingChallenge, where the procedure's challengePolicy asks for one."
    )
    weekdays: list[int] | None = strawberry.field(
        default=None, description="ISO weekdays the person can come, 1 (Monday) to 7; none: any."
    )
    earliest: time | None = strawberry.field(
        default=None, description="The earliest start, on the office's wall clock; none: any."
    )
    latest: time | None = strawberry.field(
        default=None, description="The latest start, on the office's wall clock; none: any."
    )


@strawberry.type
class WaitlistQuery:
    @strawberry.field(description="A waitlist entry, to its holder: the ID and the manageToken together.")
    async def waitlist_entry(self, info: Info, id: strawberry.ID, manage_token: str) -> WaitlistEntry | None:
        secret_key = info.context.state.secret_key
        found = await run_query(info, lambda conn: entries.by_token(conn, secret_key, str(id), manage_token))
        return WaitlistEntry.from_record(found) if found else None


@strawberry.type
class WaitlistMutation:
    @strawberry.mutation(
        description="A place on a procedure's waitlist, for the offices and days given. One live entry per "
        "person and procedure (LimitExceeded); the manageToken is returned here only."
    )
    async def join_waitlist(self, info: Info, input: WaitlistInput) -> WaitlistResult:
        secret_key = info.context.state.secret_key
        person = input.citizen
        request = entries.WaitlistRequest(
            service_id=str(input.service_id),
            office_ids=[str(office) for office in input.office_ids] if input.office_ids is not None else None,
            from_date=input.date_from,
            to_date=input.date_to,
            citizen=CitizenData(person.name, person.document_id, person.email, person.phone, person.locale),
            weekdays=input.weekdays,
            earliest=input.earliest,
            latest=input.latest,
        )
        gate = challenge_gate(info, input.challenge)
        timing = OfferTiming.from_settings(info.context.state.settings)
        return await run_mutation(
            info, lambda conn: entries.join(conn, secret_key, request, timing, gate), WaitlistEntry.from_record
        )

    @strawberry.mutation(
        description="Leaves the waitlist: the entry's ID and manageToken. Leaving while OFFERED declines the offer: "
        "the seat goes to the next person waiting."
    )
    async def leave_waitlist(self, info: Info, id: strawberry.ID, manage_token: str) -> LeaveWaitlistResult:
        secret_key = info.context.state.secret_key
        timing = OfferTiming.from_settings(info.context.state.settings)
        return await run_mutation(
            info,
            lambda conn: entries.leave(conn, secret_key, str(id), manage_token, timing),
            WaitlistEntry.from_record,
        )

    @strawberry.mutation(
        description="Books the seat offered to an OFFERED entry, for the person on the entry: the entry's ID and "
        "manageToken. InvalidState once offerExpiresAt has passed (the seat went to the next person)."
    )
    async def accept_offer(self, info: Info, id: strawberry.ID, manage_token: str) -> BookResult:
        viewer, secret_key = info.context.viewer, info.context.state.secret_key
        return await run_mutation(
            info,
            lambda conn: accept.accept_offer(conn, viewer, secret_key, str(id), manage_token),
            BookingConfirmation.from_record,
        )
