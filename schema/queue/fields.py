"""The office side: arrivals, the desk lifecycle, the board, tickets, and their live subscriptions."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import NotFoundError
from core.ticket_ids import parse_ticket_id
from dataloaders import Loaders
from models.queue import PriorityClass
from realtime.buffer import SubscriberDropped
from realtime.queue_events import dropped_error, queue_event_stream, watched_or_refused
from resolvers.queue import arrival, desk, join, kiosk, line, tickets
from resolvers.queue.board import board
from resolvers.queue.join import JoinQueueRequest
from resolvers.queue.line import MAX_LINE
from resolvers.queue.records import QueueChange
from schema.booking.challenge import challenge_gate
from schema.bounds import ListBound
from schema.context import Info
from schema.errors import (
    ChallengeRequired,
    InvalidState,
    LimitExceeded,
    NotAllowed,
    NotFound,
    QueueEmpty,
    ValidationError,
)
from schema.input_types import InputOf
from schema.operation import run_mutation, run_query
from schema.queue.types import Board, QueueEvent, Ticket, TicketNumberBlock

TicketResult = Annotated[
    Ticket | NotFound | NotAllowed | InvalidState | ValidationError | LimitExceeded, strawberry.union("TicketResult")
]
TicketNumberBlockResult = Annotated[
    TicketNumberBlock | ValidationError | NotAllowed | LimitExceeded, strawberry.union("TicketNumberBlockResult")
]
ARRIVED_AT = strawberry.argument(
    description="Kiosks replaying what they did offline: when the citizen was at the kiosk (same office day, "
    "not in the future). Queue order and the check-in window follow it. Devices only."
)
BLOCK_NUMBER = strawberry.argument(
    description="Kiosks replaying what they did offline: the number they gave out, from a block this kiosk "
    "reserved for this office and day (reserveTicketNumbers), not used yet."
)
JoinQueueResult = Annotated[
    Ticket | NotFound | NotAllowed | InvalidState | ValidationError | LimitExceeded | ChallengeRequired,
    strawberry.union("JoinQueueResult"),
]


class JoinQueueInput(InputOf[JoinQueueRequest]):
    """A place in an office's line from home (Office.remoteQueue): the ticket waits outside until its holder comes."""


CallResult = Annotated[Ticket | QueueEmpty | NotFound | NotAllowed | InvalidState, strawberry.union("CallResult")]


async def _desk_change(info: Info, operation: Callable[[AsyncConnection], Awaitable[QueueChange]]) -> Any:
    hub = info.context.live.hub
    return await run_mutation(
        info,
        operation,
        lambda change: Ticket.from_record(change.ticket),
        after=lambda change: hub.publish(change.events),
    )


def _ticket_pk(info: Info, ticket_id: str) -> int | None:
    """The ticket a public ID stands for; None (answered as NotFound or null) for anything else."""
    return parse_ticket_id(info.context.state.secret_key, ticket_id)


def _fresh(info: Info) -> None:
    """Every pushed event is read with new loaders: nothing cached from the previous one."""
    info.context.loaders = Loaders.create(info.context.state.engine)


def _no_such_ticket() -> GraphQLError:
    return GraphQLError("No ticket has this ID.", extensions={"code": "NOT_FOUND"})


@strawberry.type
class QueueQuery:
    @strawberry.field
    async def board(self, info: Info, office_id: strawberry.ID) -> Board:
        office = watched_or_refused(info.context.viewer, office_id)
        return Board.from_record(await run_query(info, lambda conn: board(conn, office)))

    @strawberry.field
    async def ticket(self, info: Info, id: strawberry.ID) -> Ticket | None:
        number = _ticket_pk(info, id)
        found = await run_query(info, lambda conn: tickets.ticket(conn, number)) if number else None
        return Ticket.from_record(found) if found else None

    @strawberry.field(
        description="Desk staff of the office: the tickets waiting, first in line first; with deskId, those that "
        "callNext at that desk would take, in the order it takes them.",
        extensions=[ListBound.argument("limit", MAX_LINE)],
    )
    async def waiting_tickets(
        self, info: Info, office_id: strawberry.ID, desk_id: strawberry.ID | None = None, limit: int = 100
    ) -> list[Ticket]:
        viewer = info.context.viewer
        found = await run_query(info, lambda conn: line.waiting_tickets(conn, viewer, office_id, desk_id, limit))
        return [Ticket.from_record(record) for record in found]


@strawberry.type
class QueueMutation:
    @strawberry.mutation(description="Kiosk or desk: turns a booking into a waiting ticket.")
    async def check_in(
        self,
        info: Info,
        office_id: strawberry.ID,
        code: str,
        idempotency_key: str | None = None,
        arrived_at: Annotated[datetime | None, ARRIVED_AT] = None,
        block_number: Annotated[int | None, BLOCK_NUMBER] = None,
    ) -> TicketResult:
        viewer, max_offline = info.context.viewer, info.context.state.settings.kiosk_max_offline
        return await _desk_change(
            info,
            lambda conn: arrival.check_in(
                conn,
                viewer,
                office_id,
                code,
                idempotency_key,
                max_offline=max_offline,
                arrived_at=arrived_at,
                block_number=block_number,
            ),
        )

    @strawberry.mutation(description="Walk-in ticket, from a kiosk or a desk.")
    async def issue_ticket(
        self,
        info: Info,
        office_id: strawberry.ID,
        service_id: strawberry.ID,
        priority: PriorityClass = PriorityClass.STANDARD,
        idempotency_key: str | None = None,
        arrived_at: Annotated[datetime | None, ARRIVED_AT] = None,
        block_number: Annotated[int | None, BLOCK_NUMBER] = None,
    ) -> TicketResult:
        viewer, max_offline = info.context.viewer, info.context.state.settings.kiosk_max_offline
        return await _desk_change(
            info,
            lambda conn: arrival.issue_ticket(
                conn,
                viewer,
                office_id,
                service_id,
                priority,
                idempotency_key,
                max_offline=max_offline,
                arrived_at=arrived_at,
                block_number=block_number,
            ),
        )

    @strawberry.mutation(
        description="Joins an office's line from home, where the office allows it (Office.remoteQueue) and while it "
        "is open: a remote ticket (remote: true) with its live page (/ticket/{id}), position and estimate. Its holder "
        "is told to come in (headInAt, and a mail) when near the front, and checks in at the kiosk with remoteCode. "
        "One open remote ticket per e-mail or phone (LimitExceeded); rate-limited and challenged like `book`."
    )
    async def join_queue(self, info: Info, input: JoinQueueInput) -> JoinQueueResult:
        request = input.data()
        viewer, secret_key = info.context.viewer, info.context.state.secret_key
        gate = challenge_gate(info, request.challenge)
        return await _desk_change(info, lambda conn: join.join_queue(conn, viewer, secret_key, request, gate))

    @strawberry.mutation(
        description="Kiosks: reserves a block of walk-in numbers of today (office time) to give out while offline."
    )
    async def reserve_ticket_numbers(self, info: Info, count: int = 50) -> TicketNumberBlockResult:
        viewer = info.context.viewer
        return await run_mutation(
            info, lambda conn: kiosk.reserve_numbers(conn, viewer, count), TicketNumberBlock.from_record
        )

    @strawberry.mutation(
        description="Calls the ticket that is first in line among the services this desk serves; "
        "never the same ticket to two desks."
    )
    async def call_next(self, info: Info, desk_id: strawberry.ID) -> CallResult:
        viewer = info.context.viewer
        return await _desk_change(info, lambda conn: desk.call_next(conn, viewer, desk_id))

    @strawberry.mutation
    async def recall(self, info: Info, ticket_id: strawberry.ID) -> TicketResult:
        viewer = info.context.viewer
        return await _desk_change(info, lambda conn: desk.recall(conn, viewer, _ticket_pk(info, ticket_id)))

    @strawberry.mutation
    async def start_service(self, info: Info, ticket_id: strawberry.ID) -> TicketResult:
        viewer = info.context.viewer
        return await _desk_change(info, lambda conn: desk.start_service(conn, viewer, _ticket_pk(info, ticket_id)))

    @strawberry.mutation
    async def complete_ticket(self, info: Info, ticket_id: strawberry.ID, note: str | None = None) -> TicketResult:
        viewer = info.context.viewer
        return await _desk_change(info, lambda conn: desk.complete(conn, viewer, _ticket_pk(info, ticket_id), note))

    @strawberry.mutation
    async def mark_no_show(self, info: Info, ticket_id: strawberry.ID) -> TicketResult:
        viewer = info.context.viewer
        return await _desk_change(info, lambda conn: desk.mark_no_show(conn, viewer, _ticket_pk(info, ticket_id)))

    @strawberry.mutation(description="A waiting citizen leaves: the ticket is cancelled.")
    async def cancel_ticket(self, info: Info, ticket_id: strawberry.ID) -> TicketResult:
        viewer = info.context.viewer
        return await _desk_change(info, lambda conn: desk.cancel_ticket(conn, viewer, _ticket_pk(info, ticket_id)))

    @strawberry.mutation(
        description="Moves a citizen to another service, office or desk; with keepPosition they "
        "keep the place that their original arrival earned."
    )
    async def transfer_ticket(
        self,
        info: Info,
        ticket_id: strawberry.ID,
        service_id: strawberry.ID | None = None,
        office_id: strawberry.ID | None = None,
        desk_id: strawberry.ID | None = None,
        keep_position: bool = True,
    ) -> TicketResult:
        viewer = info.context.viewer
        target = desk.TransferTarget(
            service_id=service_id, office_id=office_id, desk_id=desk_id, keep_position=keep_position
        )
        return await _desk_change(info, lambda conn: desk.transfer(conn, viewer, _ticket_pk(info, ticket_id), target))


@strawberry.type
class QueueSubscription:
    @strawberry.subscription(
        description="Every queue event of one office in seq order; with afterSeq, the missed events are replayed first."
    )
    async def queue_events(
        self, info: Info, office_id: strawberry.ID, after_seq: int | None = None
    ) -> AsyncGenerator[QueueEvent, None]:
        live = info.context.live
        viewer = info.context.viewer
        async with queue_event_stream(live.engine, viewer, office_id, after_seq, live.hub.subscribe) as events:
            async for event in events:
                _fresh(info)
                yield QueueEvent.from_record(event)

    @strawberry.subscription(description="The board now, then again after every change.")
    async def board(self, info: Info, office_id: strawberry.ID) -> AsyncGenerator[Board, None]:
        office = watched_or_refused(info.context.viewer, office_id)
        state = info.context.state
        async with info.context.live.hub.subscribe(office) as live:
            known = False
            try:
                while True:
                    async with state.engine.connect() as conn:
                        snapshot = await board(conn, office, known=known)
                    known = True
                    _fresh(info)
                    yield Board.from_record(snapshot)
                    await live.get()
                    live.drain()
            except SubscriberDropped:
                raise dropped_error() from None
            except NotFoundError as error:
                raise GraphQLError(error.message, extensions={"code": error.code}) from None

    @strawberry.subscription(
        description="One ticket's status, position and estimated wait, on every change; after a transfer, "
        "the ticket that carries the citizen on."
    )
    async def ticket_updates(self, info: Info, ticket_id: strawberry.ID) -> AsyncGenerator[Ticket, None]:
        number = _ticket_pk(info, ticket_id)
        if number is None:
            raise _no_such_ticket()
        # followers of one ticket share its watcher: one read per event however many follow it
        async with info.context.live.tickets.follow(number) as sightings:
            if sightings is None:
                raise _no_such_ticket()
            try:
                while (sighting := await sightings.get()) is not None:
                    info.context.loaders = sighting.loaders
                    yield Ticket.from_record(sighting.ticket)
            except SubscriberDropped:
                raise dropped_error() from None
