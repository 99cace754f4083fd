"""Entering a release draw, reading and withdrawing the entry, and the release calendar: anyone."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated

import strawberry

from core.validation import parse_id
from resolvers.booking.citizen import CitizenInput as CitizenData
from resolvers.draws import entries, windows
from schema.booking.challenge import challenge_gate
from schema.booking.fields import CitizenInput
from schema.bounds import ListBound
from schema.context import Info
from schema.draws.types import DrawEntry, ReleaseWindow
from schema.errors import (
    ChallengeRequired,
    InvalidState,
    LimitExceeded,
    NotFound,
    ValidationError,
    run_mutation,
    run_query,
)

DrawEntryResult = Annotated[
    DrawEntry | ChallengeRequired | LimitExceeded | ValidationError | NotFound | InvalidState,
    strawberry.union("DrawEntryResult"),
]
WithdrawDrawEntryResult = Annotated[DrawEntry | NotFound | InvalidState, strawberry.union("WithdrawDrawEntryResult")]


@strawberry.input
class DrawEntryInput:
    service_id: strawberry.ID
    office_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The offices the person can go to; none: any office that offers the procedure."
    )
    date_from: Annotated[date, strawberry.field(name="from")]
    date_to: Annotated[date, strawberry.field(name="to")]
    weekdays: list[int] | None = strawberry.field(
        default=None, description="ISO weekdays the person can come, 1 (Monday) to 7; none: any."
    )
    earliest: time | None = strawberry.field(
        default=None, description="The earliest start, on the office's wall clock; none: any."
    )
    latest: time | None = strawberry.field(
        default=None, description="The latest start, on the office's wall clock; none: any."
    )
    citizen: CitizenInput
    challenge: str | None = strawberry.field(
        default=None, description="A solved bookingChallenge, where the procedure's challengePolicy asks for one."
    )


@strawberry.type
class DrawQuery:
    @strawberry.field(description="A draw entry, to its holder: the ID and the manageToken together.")
    async def draw_entry(self, info: Info, id: strawberry.ID, manage_token: str) -> DrawEntry | None:
        secret_key = info.context.state.secret_key
        found = await run_query(info, lambda conn: entries.by_token(conn, secret_key, str(id), manage_token))
        return DrawEntry.from_record(found) if found else None

    @strawberry.field(
        description="When a procedure's next releases are, and under DRAW until when entries are taken: the open "
        "draws, then the next nightly release. Empty for an unknown procedure.",
        extensions=[ListBound(windows.MAX_WINDOWS)],
    )
    async def release_calendar(self, info: Info, service_id: strawberry.ID) -> list[ReleaseWindow]:
        number = parse_id(service_id)
        if number is None:
            return []
        found = await run_query(info, lambda conn: windows.calendar(conn, number))
        return [ReleaseWindow.from_record(record) for record in found]


@strawberry.type
class DrawMutation:
    @strawberry.mutation(
        description="An entry to the procedure's open release draw. One per person (document, e-mail or phone) and "
        "a few per client address (LimitExceeded); InvalidState when no draw is open (`at`: when the next opens). "
        "The manageToken is returned here only."
    )
    async def enter_draw(self, info: Info, input: DrawEntryInput) -> DrawEntryResult:
        context = info.context
        secret_key = context.state.secret_key
        person = input.citizen
        request = entries.DrawEntryRequest(
            service_id=str(input.service_id),
            office_ids=[str(office) for office in input.office_ids] if input.office_ids is not None else None,
            from_date=input.date_from,
            to_date=input.date_to,
            citizen=CitizenData(person.name, person.document_id, person.email, person.phone, person.locale),
            weekdays=input.weekdays,
            earliest=input.earliest,
            latest=input.latest,
        )
        viewer = context.viewer
        counted = not viewer.is_staff and viewer.partner_id is None
        cap = entries.AddressCap(
            address_hash=entries.address_hash(secret_key, context.client_address) if counted else None,
            per_address=context.state.settings.draw_entries_per_address,
        )
        gate = challenge_gate(info, input.challenge)
        return await run_mutation(
            info, lambda conn: entries.enter(conn, secret_key, request, cap, gate), DrawEntry.from_record
        )

    @strawberry.mutation(description="Withdraws an entry while its draw is open: the entry's ID and manageToken.")
    async def withdraw_draw_entry(self, info: Info, id: strawberry.ID, manage_token: str) -> WithdrawDrawEntryResult:
        secret_key = info.context.state.secret_key
        return await run_mutation(
            info, lambda conn: entries.withdraw(conn, secret_key, str(id), manage_token), DrawEntry.from_record
        )
