"""Joining, reading and leaving a procedure's waitlist: anyone, with the entry's manage token once joined."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.booking.entry_request import EntryRequest
from resolvers.booking.freed_seats import OfferTiming
from resolvers.waitlist import accept, entries
from schema.booking.challenge import challenge_gate
from schema.booking.fields import BookResult
from schema.booking.types import BookingConfirmation
from schema.context import Info
from schema.errors import ChallengeRequired, InvalidState, LimitExceeded, NotFound, ValidationError
from schema.input_types import InputOf
from schema.operation import run_mutation, run_query
from schema.waitlist.types import WaitlistEntry

WaitlistResult = Annotated[
    WaitlistEntry | ChallengeRequired | LimitExceeded | ValidationError | NotFound, strawberry.union("WaitlistResult")
]
LeaveWaitlistResult = Annotated[WaitlistEntry | NotFound | InvalidState, strawberry.union("LeaveWaitlistResult")]


class WaitlistInput(InputOf[EntryRequest]):
    """A place on a procedure's waitlist: where and when suits the person, and who they are."""


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
        request = input.data()
        gate = challenge_gate(info, request.challenge)
        timing = OfferTiming.from_settings(info.context.state.settings)
        return await run_mutation(
            info,
            lambda conn: entries.join(conn, secret_key, request, timing, gate),
            WaitlistEntry.from_record,
            locale=request.citizen.locale,
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
