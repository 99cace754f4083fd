"""Ticket numbers restart at the office's local midnight, whatever the clocks do, and never repeat in a day."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import text

from core.runtime import AppState
from models.queue import PriorityClass
from resolvers.queue import log
from tests.support.api import Api
from tests.support.booking import scalar
from tests.support.front_desk import front_desk

MADRID = "Europe/Madrid"


def utc(text_value: str) -> datetime:
    return datetime.fromisoformat(text_value).replace(tzinfo=UTC)


async def issue_at(state: AppState, office_id: int, service_id: int, at: datetime) -> tuple[str, date]:
    async with state.engine.begin() as conn:
        ticket_id = await log.new_ticket(
            conn,
            office_id=office_id,
            timezone=MADRID,
            service_id=service_id,
            prefix="D",
            at=at,
            due_at=at,
            priority=PriorityClass.STANDARD,
        )
        row = (await conn.execute(text("SELECT number, day FROM tickets WHERE id = :id"), {"id": ticket_id})).one()
        return row.number, row.day


async def test_numbering_follows_the_local_day_through_both_dst_changes(
    api: Api, admin_token: str, state: AppState
) -> None:
    front = await front_desk(api, admin_token, timezone=MADRID)
    office, service = int(front.office_id), int(front.services["dni"])
    instants = [
        # spring forward, 29 March 2026: 02:00 CET becomes 03:00 CEST
        ("2026-03-28T22:59:00", "D-001", date(2026, 3, 28)),  # 23:59 CET, the evening before
        ("2026-03-28T23:01:00", "D-001", date(2026, 3, 29)),  # 00:01 CET: a new day
        ("2026-03-29T00:59:00", "D-002", date(2026, 3, 29)),  # 01:59 CET
        ("2026-03-29T01:00:00", "D-003", date(2026, 3, 29)),  # 03:00 CEST, one minute later
        ("2026-03-29T21:59:00", "D-004", date(2026, 3, 29)),  # 23:59 CEST
        ("2026-03-29T22:00:00", "D-001", date(2026, 3, 30)),  # midnight CEST: a 23-hour day is over
        # fall back, 25 October 2026: 03:00 CEST becomes 02:00 CET, the hour 02:00-03:00 happens twice
        ("2026-10-24T21:59:00", "D-001", date(2026, 10, 24)),  # 23:59 CEST
        ("2026-10-24T22:00:00", "D-001", date(2026, 10, 25)),  # 00:00 CEST
        ("2026-10-25T00:30:00", "D-002", date(2026, 10, 25)),  # 02:30 CEST
        ("2026-10-25T01:30:00", "D-003", date(2026, 10, 25)),  # 02:30 CET, the same wall time again
        ("2026-10-25T22:59:00", "D-004", date(2026, 10, 25)),  # 23:59 CET: still the 25-hour day
        ("2026-10-25T23:00:00", "D-001", date(2026, 10, 26)),  # midnight CET
    ]
    for at, number, day in instants:
        assert await issue_at(state, office, service, utc(at)) == (number, day), at
    assert await scalar(state, "SELECT count(DISTINCT (day, day_number)) FROM tickets") == len(instants)


async def test_the_first_ticket_after_midnight_is_001_again(api: Api, admin_token: str, state: AppState) -> None:
    front = await front_desk(api, admin_token)
    yesterday = [await front.issue() for _ in range(3)]
    assert [t["number"] for t in yesterday] == ["D-001", "D-002", "D-003"]
    # as if those three had been issued yesterday: the counter and the tickets carry yesterday's date
    async with state.engine.begin() as conn:
        await conn.execute(text("UPDATE office_queue_counters SET ticket_day = ticket_day - 1"))
        await conn.execute(text("UPDATE tickets SET day = day - 1"))

    today = [await front.issue() for _ in range(2)]

    assert [t["number"] for t in today] == ["D-001", "D-002"]
    # the event log does not restart: seq is per office, forever
    assert await scalar(state, "SELECT max(seq) FROM queue_events") == 5


def test_local_day_is_the_offices_calendar_day() -> None:
    assert log.local_day(utc("2026-10-25T22:30:00"), MADRID) == date(2026, 10, 25)
    assert log.local_day(utc("2026-10-25T23:30:00"), MADRID) == date(2026, 10, 26)
    assert log.local_day(utc("2026-10-25T02:30:00"), "America/Argentina/Cordoba") == date(2026, 10, 24)
