"""Batch loads around bookings: their slots and their history."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.dataloader import DataLoader

from dataloaders.catalogue import _ByIdLoader, _GroupedLoader
from models.booking import BookingStatus, Channel
from resolvers.agenda.office_day import HoldKinds
from resolvers.agenda.records import SLOT_COLUMNS, SlotRecord
from resolvers.booking.records import BookingEventRecord


class SlotsById(_ByIdLoader[SlotRecord]):
    query = f"SELECT {SLOT_COLUMNS} FROM slots sl JOIN offices o ON o.id = sl.office_id WHERE sl.id = ANY(:ids)"

    def record(self, row: RowMapping) -> SlotRecord:
        return SlotRecord.from_row(row)


class HoldKindsBySlot(DataLoader[int, HoldKinds]):
    """Of each slot's live holds, those offering a seat to a waitlist entry and those keeping a freed seat back
    for its re-release delay (resolvers/waitlist/offers.py); the rest are citizens' own (holdSlot). One query
    for every slot of the answer."""

    query = text("""
        SELECT h.slot_id, count(*) FILTER (WHERE w.id IS NOT NULL) AS offered,
               count(*) FILTER (WHERE h.rerelease) AS kept_back
        FROM slot_holds h
        LEFT JOIN waitlist_entries w ON w.offer_hold_id = h.id AND w.status = 'OFFERED'
        WHERE h.slot_id = ANY(:ids) AND h.expires_at > now()
        GROUP BY h.slot_id
    """)

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(load_fn=self._load)
        self._engine = engine

    async def _load(self, ids: Sequence[int]) -> list[HoldKinds]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(self.query, {"ids": list(ids)})
            found = {row["slot_id"]: HoldKinds(row["offered"], row["kept_back"]) for row in rows.mappings()}
        return [found.get(key, HoldKinds()) for key in ids]


class EventsByBooking(_GroupedLoader[BookingEventRecord]):
    query = """SELECT e.booking_id AS group_key, e.booking_id, e.at, e.status::text AS status,
                      e.channel::text AS channel, e.note
               FROM booking_events e WHERE e.booking_id = ANY(:keys) ORDER BY e.at, e.id"""

    def record(self, row: RowMapping) -> BookingEventRecord:
        return BookingEventRecord(
            booking_id=row["booking_id"],
            at=row["at"],
            status=BookingStatus(row["status"]),
            channel=Channel(row["channel"]) if row["channel"] else None,
            note=row["note"],
        )
