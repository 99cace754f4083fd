"""Batch loads around bookings: their slots and their history."""

from __future__ import annotations

from sqlalchemy import RowMapping

from dataloaders.catalogue import _ByIdLoader, _GroupedLoader
from models.booking import BookingStatus, Channel
from resolvers.agenda.records import SLOT_COLUMNS, SlotRecord
from resolvers.booking.records import BookingEventRecord


class SlotsById(_ByIdLoader[SlotRecord]):
    query = f"SELECT {SLOT_COLUMNS} FROM slots sl JOIN offices o ON o.id = sl.office_id WHERE sl.id = ANY(:ids)"

    def record(self, row: RowMapping) -> SlotRecord:
        return SlotRecord.from_row(row)


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
