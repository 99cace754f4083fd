"""Batch loads around bookings: their slots and their history."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import BigInteger, RowMapping, and_, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.dataloader import DataLoader

from dataloaders.catalogue import _KEYS, _ByIdLoader, _GroupedLoader
from models.agenda import slot_holds
from models.booking import booking_events
from models.waitlist import WaitlistStatus, waitlist_entries
from resolvers.agenda.office_day import HoldKinds
from resolvers.agenda.records import SLOT_COLUMNS, SlotRecord
from resolvers.booking.records import BookingEventRecord
from resolvers.rows import record_columns, record_from_row


class SlotsById(_ByIdLoader[SlotRecord]):
    # the slot's held and reserved seats are SQL rules of their own (resolvers/agenda/records.py)
    # Native: SLOT_COLUMNS carries the held- and reserved-seat rules the seat-taking statements share
    query = text(f"SELECT {SLOT_COLUMNS} FROM slots sl JOIN offices o ON o.id = sl.office_id WHERE sl.id = ANY(:ids)")

    def record(self, row: RowMapping) -> SlotRecord:
        return record_from_row(SlotRecord, row)


h, w = slot_holds, waitlist_entries


class HoldKindsBySlot(DataLoader[int, HoldKinds]):
    """Of each slot's live holds, those offering a seat to a waitlist entry and those keeping a freed seat back
    for its re-release delay (resolvers/booking/freed_seats.py); the rest are citizens' own (holdSlot). One query
    for every slot of the answer."""

    query = (
        select(
            h.c.slot_id,
            func.count().filter(w.c.id.is_not(None)).label("offered"),
            func.count().filter(h.c.rerelease).label("kept_back"),
        )
        .select_from(h.outerjoin(w, and_(w.c.offer_hold_id == h.c.id, w.c.status == WaitlistStatus.OFFERED)))
        .where(h.c.slot_id == func.any(bindparam("ids", type_=ARRAY(BigInteger))), h.c.expires_at > func.now())
        .group_by(h.c.slot_id)
    )

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(load_fn=self._load)
        self._engine = engine

    async def _load(self, ids: Sequence[int]) -> list[HoldKinds]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(self.query, {"ids": list(ids)})
            found = {row["slot_id"]: HoldKinds(row["offered"], row["kept_back"]) for row in rows.mappings()}
        return [found.get(key, HoldKinds()) for key in ids]


class EventsByBooking(_GroupedLoader[BookingEventRecord]):
    query = (
        select(booking_events.c.booking_id.label("group_key"), *record_columns(BookingEventRecord, booking_events))
        .where(booking_events.c.booking_id == _KEYS)
        .order_by(booking_events.c.at, booking_events.c.id)
    )

    def record(self, row: RowMapping) -> BookingEventRecord:
        return record_from_row(BookingEventRecord, row)
