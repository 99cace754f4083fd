"""Entering a release draw, reading and withdrawing the entry, and the release calendar: anyone."""

from __future__ import annotations

from typing import Annotated

import strawberry

from core.validation import parse_id
from resolvers.agenda import release_windows
from resolvers.booking.entry_request import EntryRequest
from resolvers.draws import entries
from schema.booking.challenge import challenge_gate
from schema.bounds import ListBound
from schema.context import Info
from schema.draws.types import DrawEntry, ReleaseWindow
from schema.errors import ChallengeRequired, InvalidState, LimitExceeded, NotFound, ValidationError
from schema.input_types import InputOf
from schema.operation import run_mutation, run_query

DrawEntryResult = Annotated[
    DrawEntry | ChallengeRequired | LimitExceeded | ValidationError | NotFound | InvalidState,
    strawberry.union("DrawEntryResult"),
]
WithdrawDrawEntryResult = Annotated[DrawEntry | NotFound | InvalidState, strawberry.union("WithdrawDrawEntryResult")]


class DrawEntryInput(InputOf[EntryRequest]):
    """An entry to a procedure's open release draw: where and when suits the person, and who they are."""


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
        extensions=[ListBound(release_windows.MAX_WINDOWS)],
    )
    async def release_calendar(self, info: Info, service_id: strawberry.ID) -> list[ReleaseWindow]:
        number = parse_id(service_id)
        if number is None:
            return []
        found = await run_query(info, lambda conn: release_windows.calendar(conn, number))
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
        request = input.data()
        viewer = context.viewer
        counted = not viewer.is_staff and viewer.partner_id is None
        cap = entries.AddressCap(
            address_hash=entries.address_hash(secret_key, context.client_address) if counted else None,
            per_address=context.state.settings.draw_entries_per_address,
        )
        gate = challenge_gate(info, request.challenge)
        return await run_mutation(
            info,
            lambda conn: entries.enter(conn, secret_key, request, cap, gate),
            DrawEntry.from_record,
            locale=request.citizen.locale,
        )

    @strawberry.mutation(description="Withdraws an entry while its draw is open: the entry's ID and manageToken.")
    async def withdraw_draw_entry(self, info: Info, id: strawberry.ID, manage_token: str) -> WithdrawDrawEntryResult:
        secret_key = info.context.state.secret_key
        return await run_mutation(
            info, lambda conn: entries.withdraw(conn, secret_key, str(id), manage_token), DrawEntry.from_record
        )
