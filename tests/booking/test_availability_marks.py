"""Which statements mark their transaction as changing availability (core/availability_versions.py): every
write of a table availability reads, whatever the statement's form, and nothing else."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, update

import models  # noqa: F401  (every table registered on the metadata)
from core.availability_versions import writes_availability
from core.db import create_engine
from models.base import Base

# the dialect the process compiles with (an engine connects only when asked to)
DIALECT = create_engine("postgresql://nobody@127.0.0.1/nothing").dialect
READ_BY_AVAILABILITY = {
    "slots",
    "slot_holds",
    "agendas",
    "closures",
    "offices",
    "services",
    "service_translations",
    "office_services",
    "opening_hours",
    "waitlist_entries",
}


@pytest.mark.parametrize("table", sorted(Base.metadata.tables))
def test_a_core_write_marks_exactly_the_tables_availability_reads(table: str) -> None:
    model = Base.metadata.tables[table]
    column = next(iter(model.columns))
    for statement in (insert(model), update(model).values({column: None}), delete(model)):
        sql = str(statement.compile(dialect=DIALECT))
        assert writes_availability(sql) is (table in READ_BY_AVAILABILITY), sql


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE slots AS sl SET booked = sl.booked + :seats",
        "update slots sl set closed = true",
        "WITH freed AS (DELETE FROM slot_holds h WHERE h.id = 1 RETURNING h.slot_id) UPDATE slots SET booked = 0",
        "INSERT INTO slot_holds (slot_id) SELECT 1",
        "DELETE FROM slot_holds USING slots WHERE slots.id = slot_holds.slot_id",
        # the database function that takes a seat (migrations/versions/0027_book_in_one_call.py)
        "SELECT r.o_outcome FROM book_one(p_slot_id => CAST(:slot_id AS bigint)) AS r",
    ],
)
def test_native_writes_mark_too(sql: str) -> None:
    assert writes_availability(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT sl.id FROM slots sl WHERE sl.id = 1 FOR UPDATE",
        "UPDATE bookings SET status = 'CANCELLED' FROM slots WHERE slots.id = bookings.slot_id",
        "INSERT INTO unmet_searches (service_id) VALUES (1)",
        "UPDATE slots_archive SET x = 1",
        "SELECT rebook_one_day(1)",
    ],
)
def test_reads_and_other_tables_do_not(sql: str) -> None:
    assert not writes_availability(sql)
