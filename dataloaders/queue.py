"""Batch loads for tickets: desks, the bookings behind tickets, places in line, each desk's current ticket."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.dataloader import DataLoader

from dataloaders.catalogue import _IDS, _ByIdLoader
from models.booking import bookings
from models.catalogue import Desk
from models.queue import Ticket, TicketStatus
from resolvers.booking.records import BOOKING, BookingRecord
from resolvers.catalogue.records import DeskRecord
from resolvers.queue.records import TicketRecord, Wait
from resolvers.queue.tickets import select_tickets
from resolvers.queue.waits import waits
from resolvers.rows import record_from_row
from resolvers.sql import any_id

Record = TypeVar("Record")


class _ByKeyLoader(DataLoader[int, Record | None], Generic[Record]):
    """Loads records by a key in one statement built from the models; a key that finds nothing loads as None."""

    record_type: type[Record]

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(load_fn=self._load)
        self._engine = engine

    def statement(self, keys: Sequence[int]) -> Select[*tuple[Any, ...]]:
        """Rows with the record's columns and the key they answer as `key_id`."""
        raise NotImplementedError

    async def _load(self, keys: Sequence[int]) -> list[Record | None]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(self.statement(keys))
            found = {row["key_id"]: record_from_row(self.record_type, row) for row in rows.mappings()}
        return [found.get(key) for key in keys]


class DesksById(_ByKeyLoader[DeskRecord]):
    record_type = DeskRecord

    def statement(self, keys: Sequence[int]) -> Select[*tuple[Any, ...]]:
        return select(Desk.id, Desk.office_id, Desk.name, Desk.id.label("key_id")).where(Desk.id == any_id(keys))


class BookingsById(_ByIdLoader[BookingRecord]):
    record_type = BookingRecord
    query = BOOKING.where(bookings.c.id == _IDS)


class CurrentTicketByDesk(_ByKeyLoader[TicketRecord]):
    """The ticket called to or served at each desk now, keyed by desk id."""

    record_type = TicketRecord

    def statement(self, keys: Sequence[int]) -> Select[*tuple[Any, ...]]:
        return select_tickets(Ticket.desk_id.label("key_id")).where(
            Ticket.desk_id == any_id(keys), Ticket.status.in_((TicketStatus.CALLED, TicketStatus.SERVING))
        )


class TicketByBooking(_ByKeyLoader[TicketRecord]):
    """A booking's latest ticket (after a transfer, the one that carries on), keyed by booking id."""

    record_type = TicketRecord

    def statement(self, keys: Sequence[int]) -> Select[*tuple[Any, ...]]:
        return (
            select_tickets(Ticket.booking_id.label("key_id"))
            .where(Ticket.booking_id == any_id(keys))
            .order_by(Ticket.booking_id, Ticket.id.desc())
            .ext(distinct_on(Ticket.booking_id))
        )


class WaitsByTicket(DataLoader[int, Wait | None]):
    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(load_fn=self._load)
        self._engine = engine

    async def _load(self, ids: Sequence[int]) -> list[Wait | None]:
        async with self._engine.connect() as conn:
            found = await waits(conn, ids)
        return [found.get(key) for key in ids]
