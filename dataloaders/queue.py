"""Batch loads for tickets: desks, the bookings behind tickets, places in line, each desk's current ticket."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.dataloader import DataLoader

from dataloaders.catalogue import _ByIdLoader
from resolvers.booking.records import BOOKING_COLUMNS, BookingRecord
from resolvers.catalogue.records import DeskRecord
from resolvers.queue.records import TICKET_COLUMNS, TicketRecord, Wait
from resolvers.queue.waits import waits


class DesksById(_ByIdLoader[DeskRecord]):
    query = "SELECT d.id, d.office_id, d.name FROM desks d WHERE d.id = ANY(:ids)"

    def record(self, row: RowMapping) -> DeskRecord:
        return DeskRecord.from_row(row)


class BookingsById(_ByIdLoader[BookingRecord]):
    query = f"SELECT {BOOKING_COLUMNS} FROM bookings b JOIN offices o ON o.id = b.office_id WHERE b.id = ANY(:ids)"

    def record(self, row: RowMapping) -> BookingRecord:
        return BookingRecord.from_row(row)


class CurrentTicketByDesk(_ByIdLoader[TicketRecord]):
    """The ticket called to or served at each desk now, keyed by desk id."""

    query = f"""SELECT t.desk_id AS id, {TICKET_COLUMNS.replace("t.id,", "t.id AS ticket_id,", 1)}
                FROM tickets t JOIN offices o ON o.id = t.office_id
                WHERE t.desk_id = ANY(:ids) AND t.status IN ('CALLED', 'SERVING')"""

    def record(self, row: RowMapping) -> TicketRecord:
        return TicketRecord.from_row({**row, "id": row["ticket_id"]})


class TicketByBooking(_ByIdLoader[TicketRecord]):
    """A booking's latest ticket (after a transfer, the one that carries on), keyed by booking id."""

    query = f"""SELECT DISTINCT ON (t.booking_id) t.booking_id AS key_id,
                       {TICKET_COLUMNS}
                FROM tickets t JOIN offices o ON o.id = t.office_id
                WHERE t.booking_id = ANY(:ids) ORDER BY t.booking_id, t.id DESC"""

    async def _load(self, ids: Sequence[int]) -> list[TicketRecord | None]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(text(self.query), {"ids": list(ids)})
            found = {row["key_id"]: TicketRecord.from_row(row) for row in rows.mappings()}
        return [found.get(key) for key in ids]


class WaitsByTicket(DataLoader[int, Wait | None]):
    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(load_fn=self._load)
        self._engine = engine

    async def _load(self, ids: Sequence[int]) -> list[Wait | None]:
        async with self._engine.connect() as conn:
            found = await waits(conn, ids)
        return [found.get(key) for key in ids]
