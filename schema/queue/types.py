from __future__ import annotations

from datetime import date, datetime

import strawberry

from core.ticket_ids import public_ticket_id
from models.queue import PriorityClass, QueueEventType, TicketStatus
from realtime.sharing import READS_AUDIENCE, READS_NO_VIEWER
from resolvers import occupancy
from resolvers.booking.access import may_manage_without_token
from resolvers.feedback.request import request_feedback
from resolvers.queue.access import is_desk_staff
from resolvers.queue.board import RECENT_CALLS, BoardRecord, ServiceQueueRecord, queues, shown
from resolvers.queue.kiosk import NumberBlockRecord
from resolvers.queue.records import QueueEventRecord, TicketRecord
from schema.agenda.types import zone
from schema.booking.types import Booking
from schema.bounds import MAX_SERVICES, ListBound
from schema.catalogue.types import Desk, Office, Service, load_office, load_service
from schema.context import Info
from schema.operation import run_query

strawberry.enum(TicketStatus)
strawberry.enum(
    PriorityClass,
    description="PRIORITY: elderly, disability, pregnancy and the like; served ahead of STANDARD as office rules say.",
)
strawberry.enum(QueueEventType)


async def load_desk(info: Info, desk_id: int | None) -> Desk | None:
    if desk_id is None:
        return None
    record = await info.context.loaders.desks_by_id.load(desk_id)
    return Desk.from_record(record) if record else None


@strawberry.type
class Ticket:
    number: str = strawberry.field(
        description="Displayed number, e.g. L-042: a per-service prefix and a per-office daily sequence."
    )
    status: TicketStatus
    priority: PriorityClass
    issued_at: datetime
    called_at: datetime | None
    recalls: int
    previous_number: str | None = strawberry.field(
        description="After a transfer: the number of the ticket this one replaced (D-002 before C-004), so that "
        "screens can show the change and the citizen recognise their turn; null otherwise."
    )
    next_number: str | None = strawberry.field(
        description="Once TRANSFERRED: the number of the ticket that carries the citizen on (C-004 after D-002)."
    )
    record: strawberry.Private[TicketRecord]

    @classmethod
    def from_record(cls, record: TicketRecord) -> Ticket:
        office_zone = zone(record.timezone)
        return cls(
            number=record.number,
            status=record.status,
            priority=record.priority,
            issued_at=record.issued_at.astimezone(office_zone),
            called_at=record.called_at.astimezone(office_zone) if record.called_at else None,
            recalls=record.recalls,
            previous_number=record.previous_number,
            next_number=record.next_number,
            record=record,
        )

    @strawberry.field(
        metadata=READS_NO_VIEWER,
        description="Opaque: whoever holds it may follow the ticket (the kiosk's QR, the /ticket page), so it is "
        "not a number that can be counted.",
    )
    def id(self, info: Info) -> strawberry.ID:
        return strawberry.ID(public_ticket_id(info.context.state.secret_key, self.record.id))

    @strawberry.field(metadata=READS_NO_VIEWER)
    async def office(self, info: Info) -> Office:
        return await load_office(info, self.record.office_id)

    @strawberry.field(metadata=READS_NO_VIEWER)
    async def service(self, info: Info) -> Service:
        return await load_service(info, self.record.service_id)

    @strawberry.field(
        metadata=READS_AUDIENCE,
        description="The booking behind the ticket: for the office's staff and the booking partner.",
    )
    async def booking(self, info: Info) -> Booking | None:
        if self.record.booking_id is None:
            return None
        record = await info.context.loaders.bookings_by_id.load(self.record.booking_id)
        viewer = info.context.viewer
        if record is None or not (is_desk_staff(viewer, record.office_id) or may_manage_without_token(viewer, record)):
            return None
        return Booking.from_record(record)

    @strawberry.field(
        metadata=READS_NO_VIEWER,
        description="How many people this ticket is for: a booking's whole party checks in and is served together.",
    )
    async def party_size(self, info: Info) -> int:
        if self.record.booking_id is None:
            return 1
        record = await info.context.loaders.bookings_by_id.load(self.record.booking_id)
        return record.party_size if record else 1

    @strawberry.field(metadata=READS_NO_VIEWER)
    async def desk(self, info: Info) -> Desk | None:
        return await load_desk(
            info, self.record.target_desk_id if self.record.status is TicketStatus.WAITING else self.record.desk_id
        )

    @strawberry.field(
        metadata=READS_NO_VIEWER,
        description="1 = next to be called among the tickets that the same desks serve; null once called.",
    )
    async def position(self, info: Info) -> int | None:
        if self.record.status is not TicketStatus.WAITING:
            return None
        wait = await info.context.loaders.waits_by_ticket.load(self.record.id)
        return wait.position if wait else None

    @strawberry.field(
        metadata=READS_NO_VIEWER,
        description="Minutes until this ticket is called, from recent service times; null once called.",
    )
    async def estimated_wait_minutes(self, info: Info) -> int | None:
        if self.record.status is not TicketStatus.WAITING:
            return None
        wait = await info.context.loaders.waits_by_ticket.load(self.record.id)
        return wait.minutes if wait else None

    @strawberry.field(
        metadata=READS_NO_VIEWER,
        description="Once DONE: the token of this visit's feedback page (/feedback#token=…), the same as the "
        "feedback mail's. Whoever holds the ticket's ID is the citizen who followed it; null before.",
    )
    async def feedback_token(self, info: Info) -> str | None:
        if self.record.status is not TicketStatus.DONE:
            return None
        secret_key, ticket_id = info.context.state.secret_key, self.record.id
        # the request row is written once per visit (later calls find it): a read that must commit
        return await run_query(info, lambda conn: request_feedback(conn, secret_key, ticket_id), commit=True)

    @strawberry.field(metadata=READS_NO_VIEWER, description="The estimate announced when the ticket was issued.")
    def estimated_wait_at_issue(self) -> int | None:
        return self.record.estimated_wait_minutes

    @strawberry.field(
        metadata=READS_NO_VIEWER,
        description="Waiting outside (joined from home, or the building was full): it keeps its place in line, but "
        "desks pass it over until its holder checks in with remoteCode.",
    )
    def remote(self) -> bool:
        return self.record.remote

    @strawberry.field(
        metadata=READS_NO_VIEWER,
        description="A remote ticket's code, to type at the office's kiosk on arrival (checkIn's code); null for "
        "tickets issued inside.",
    )
    def remote_code(self) -> str | None:
        return self.record.remote_code

    @strawberry.field(
        metadata=READS_NO_VIEWER,
        description="When a remote ticket's holder was told to come in (near the front, and room inside); null "
        "until then.",
    )
    def head_in_at(self) -> datetime | None:
        at = self.record.head_in_at
        return at.astimezone(zone(self.record.timezone)) if at else None


@strawberry.type
class QueueEvent:
    office_id: strawberry.ID
    seq: int = strawberry.field(
        description="Strictly increasing per office, without gaps: a client that sees a gap has missed an event."
    )
    type: QueueEventType
    ticket: Ticket
    at: datetime
    desk_pk: strawberry.Private[int | None]

    @classmethod
    def from_record(cls, record: QueueEventRecord) -> QueueEvent:
        return cls(
            office_id=strawberry.ID(str(record.office_id)),
            seq=record.seq,
            type=record.type,
            ticket=Ticket.from_record(record.ticket),
            at=record.at.astimezone(zone(record.ticket.timezone)),
            desk_pk=record.desk_id,
        )

    @strawberry.field(metadata=READS_NO_VIEWER)
    async def desk(self, info: Info) -> Desk | None:
        return await load_desk(info, self.desk_pk)


@strawberry.type
class ServiceQueue:
    waiting: int
    estimated_wait_minutes: int | None
    service_pk: strawberry.Private[int]

    @classmethod
    def from_record(cls, record: ServiceQueueRecord) -> ServiceQueue:
        return cls(
            waiting=record.waiting, estimated_wait_minutes=record.estimated_wait_minutes, service_pk=record.service_id
        )

    @strawberry.field
    async def service(self, info: Info) -> Service:
        return await load_service(info, self.service_pk)


@strawberry.type
class Board:
    seq: int = strawberry.field(description="The seq of the last event the board reflects.")
    recent_calls: list[Ticket] = strawberry.field(
        description="Most recent calls first.", extensions=[ListBound(RECENT_CALLS)]
    )
    record: strawberry.Private[BoardRecord]

    @classmethod
    def from_record(cls, record: BoardRecord) -> Board:
        return cls(seq=record.seq, recent_calls=[Ticket.from_record(t) for t in record.recent_calls], record=record)

    @strawberry.field
    async def office(self, info: Info) -> Office:
        return await load_office(info, self.record.office_id)

    @strawberry.field(
        description="The procedures served at a desk or waited for, each with the wait a ticket taken now would be "
        "told (the same figure as that ticket's estimatedWaitMinutes). onlyWaiting: only those someone waits for, "
        "as a screen in the room lists them.",
        extensions=[ListBound(MAX_SERVICES)],
    )
    async def queues(self, info: Info, only_waiting: bool = False) -> list[ServiceQueue]:
        record = self.record
        listed = shown(record.counts, only_waiting=only_waiting)
        found = await run_query(info, lambda conn: queues(conn, record.office_id, listed)) if listed else []
        return [ServiceQueue.from_record(queue) for queue in found]

    @strawberry.field(
        description="The people in the building now against Office.maxOccupancy (resolvers/occupancy.py)."
    )
    async def occupancy(self, info: Info) -> Occupancy:
        found = await run_query(info, lambda conn: occupancy.occupancy(conn, self.record.office_id))
        return Occupancy(inside=found.inside, max=found.max)


@strawberry.type(
    description="Who is in the building: today's tickets waiting inside, called or being served, each with its "
    "booking's party."
)
class Occupancy:
    inside: int
    max: int | None = strawberry.field(description="Office.maxOccupancy; null: no limit.")


@strawberry.type(
    description="Walk-in numbers reserved for one kiosk, its office and that office's day, to give out while "
    "offline (issueTicket's blockNumber). The server never gives them itself."
)
class TicketNumberBlock:
    id: strawberry.ID
    day: date = strawberry.field(description="The office's local day the numbers belong to.")
    first_number: int
    last_number: int
    office_pk: strawberry.Private[int]

    @classmethod
    def from_record(cls, record: NumberBlockRecord) -> TicketNumberBlock:
        return cls(
            id=strawberry.ID(str(record.id)),
            day=record.day,
            first_number=record.first_number,
            last_number=record.last_number,
            office_pk=record.office_id,
        )

    @strawberry.field
    async def office(self, info: Info) -> Office:
        return await load_office(info, self.office_pk)
