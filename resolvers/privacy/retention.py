"""The nightly retention run: personal data past TURNERO_RETENTION_DAYS after the appointment or visit is
anonymised, in small transactions so that bookings keep their pace while it runs.

Each batch takes the next BATCH due rows with FOR UPDATE SKIP LOCKED (a row a booking or a desk holds right now
is left for the next batch or night, never waited for), clears them (anonymise.py) and commits: no batch holds
its locks longer than a few milliseconds, and an interrupted run has lost nothing. Rows are marked
(`anonymised_at`) and the partial indexes ix_*_to_anonymise hold only unmarked ones, so a rerun reads nothing it
has already done and each night reads only what fell due since the last.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, cast, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.types import Date

from models.booking import bookings, outbox
from models.draws import draw_entries
from models.waitlist import waitlist_entries
from resolvers.privacy import anonymise
from resolvers.privacy.anonymise import feedback, tickets
from resolvers.sql import any_id

BATCH = 1000
# after each batch the run waits this many times as long as the batch took: it takes a third of a core at most,
# so bookings keep their pace on a small machine (bench/retention.py, docs/performance.md). A night has hours to
# spare; only the first run over years of history takes minutes, and every later one a day's rows.
YIELD = 2.0

Clear = Callable[[AsyncConnection, Sequence[int]], Awaitable[int]]


def _due(
    id_column: ColumnElement[int], marked: ColumnElement[object], clock: ColumnElement[object], before: object
) -> Select[Any]:
    return (
        select(id_column)
        .where(marked.is_(None), clock < before)
        .order_by(clock)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )


def _passes(cutoff: datetime) -> list[tuple[str, Select[Any], Clear]]:
    day = cast(cutoff, Date)
    return [
        ("bookings", _due(bookings.c.id, bookings.c.anonymised_at, bookings.c.ends_at, cutoff), anonymise.bookings_of),
        ("tickets", _due(tickets.c.id, tickets.c.anonymised_at, tickets.c.issued_at, cutoff), anonymise.tickets_of),
        (
            "feedback",
            _due(feedback.c.id, feedback.c.anonymised_at, feedback.c.created_at, cutoff),
            anonymise.feedback_of,
        ),
        (
            "waitlist_entries",
            _due(waitlist_entries.c.id, waitlist_entries.c.anonymised_at, waitlist_entries.c.to_date, day),
            anonymise.waitlist_entries_of,
        ),
        (
            "draw_entries",
            _due(draw_entries.c.id, draw_entries.c.anonymised_at, draw_entries.c.to_date, day),
            anonymise.draw_entries_of,
        ),
    ]


async def _batches(engine: AsyncEngine, due: Select[Any], clear: Clear, pause: float) -> int:
    done = 0
    while True:
        started = time.monotonic()
        async with engine.begin() as conn:
            ids: list[int] = list((await conn.execute(due)).scalars())
            if ids:
                done += await clear(conn, ids)
        if len(ids) < BATCH:
            return done
        await asyncio.sleep((time.monotonic() - started) * pause)


async def _delete_outbox(conn: AsyncConnection, ids: Sequence[int]) -> int:
    return (await conn.execute(delete(outbox).where(outbox.c.id == any_id(ids)))).rowcount


async def run(engine: AsyncEngine, cutoff: datetime, pause: float = YIELD) -> dict[str, int]:
    """How many rows of each kind were anonymised (or, for the outbox, deleted) by this run: counts only."""
    report = {name: await _batches(engine, due, clear, pause) for name, due, clear in _passes(cutoff)}
    # settled notifications older than the limit go whole: what they were about is anonymised, and a mail
    # row's payload may carry a cancellation's reason (free text); PENDING ones are still to be sent
    old_outbox = (
        select(outbox.c.id)
        .where(outbox.c.status != "PENDING", outbox.c.created_at < cutoff)
        .order_by(outbox.c.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    report["outbox"] = await _batches(engine, old_outbox, _delete_outbox, pause)
    return report
