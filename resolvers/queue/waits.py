"""Place in line and an honest estimate: from the recent service times of that service at that office
(median of the last 20, falling back to its duration) and the number of desks that serve it."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from sqlalchemy import RowMapping, TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection

from resolvers.queue.records import Wait

RECENT = 20


def recent_median_seconds(office_id: str, service_id: str) -> str:
    """SQL: the median of the last RECENT service times of a service at an office (SQL expressions for
    both; ix_tickets_recent_service serves it)."""
    return f"""(SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - r.started_at))
            FROM (SELECT d.finished_at, d.started_at FROM tickets d
                  WHERE d.office_id = {office_id} AND d.service_id = {service_id} AND d.status = 'DONE'
                    AND d.started_at IS NOT NULL
                  ORDER BY d.finished_at DESC LIMIT {RECENT}) AS r)"""


# A ticket's line: the waiting tickets, at its office, of the services that the desks able to call it
# serve (a ticket sent to one desk: that desk's services). Ahead = earlier (due_at, id).
# Native: one CTE with row comparisons and a median per target, for a whole batch in one round trip
# (every issue, every place-in-line read and every board redraw run it). `target` is the only part that
# differs: real tickets, or per procedure a walk-in taken now (due now, after every existing ticket), so
# that the board's figure for a queue is exactly what the next ticket of that queue is told.
def _waits(target: str) -> TextClause:
    return text(f"""
    WITH target AS ({target}),
    callers AS (
        SELECT tg.key, d.id AS desk_id
        FROM target tg JOIN desks d ON d.office_id = tg.office_id
        WHERE (tg.target_desk_id IS NOT NULL AND d.id = tg.target_desk_id)
           OR (tg.target_desk_id IS NULL
               AND EXISTS (SELECT 1 FROM desk_services ds WHERE ds.desk_id = d.id AND ds.service_id = tg.service_id))
    ),
    line AS (
        SELECT DISTINCT c.key, ds.service_id FROM callers c JOIN desk_services ds ON ds.desk_id = c.desk_id
    )
    SELECT tg.key,
           1 + (SELECT count(*) FROM tickets w
                WHERE w.office_id = tg.office_id AND w.status = 'WAITING' AND (w.due_at, w.id) < (tg.due_at, tg.id)
                  AND (w.service_id = tg.service_id
                       OR w.service_id IN (SELECT l.service_id FROM line l WHERE l.key = tg.key))) AS position,
           (SELECT count(*) FROM callers c WHERE c.key = tg.key) AS desks,
           {recent_median_seconds("tg.office_id", "tg.service_id")} AS median_seconds,
           s.duration_minutes
    FROM target tg JOIN services s ON s.id = tg.service_id
""")


_TICKET_WAITS = _waits("""
        SELECT t.id AS key, t.id, t.office_id, t.service_id, t.due_at, t.target_desk_id
        FROM tickets t WHERE t.id = ANY(:ids) AND t.status = 'WAITING'""")
# the newcomer's id sorts after every ticket's: of two tickets due at the same instant the older goes first
_NEWCOMER_WAITS = _waits("""
        SELECT os.service_id AS key, 9223372036854775807::bigint AS id, os.office_id, os.service_id,
               now() AS due_at, NULL::bigint AS target_desk_id
        FROM office_services os WHERE os.office_id = :office_id AND os.service_id = ANY(:service_ids)""")


def estimate(position: int, desks: int, median_seconds: float | None, duration_minutes: int) -> int:
    """Minutes until this ticket is called: the people ahead, served `desks` at a time."""
    per_person = (median_seconds / 60) if median_seconds else duration_minutes
    return math.ceil((position - 1) * per_person / max(desks, 1))


def _read(rows: Iterable[RowMapping]) -> dict[int, Wait]:
    """Nobody at the office can call it (no desk serves it): no estimate, though it has a place."""
    return {
        row["key"]: Wait(
            position=row["position"],
            minutes=estimate(row["position"], row["desks"], row["median_seconds"], row["duration_minutes"])
            if row["desks"]
            else None,
        )
        for row in rows
    }


async def waits(conn: AsyncConnection, ticket_ids: Sequence[int]) -> dict[int, Wait]:
    """Position and estimate of each ticket still waiting (others are absent: they have none)."""
    return _read((await conn.execute(_TICKET_WAITS, {"ids": list(ticket_ids)})).mappings())


async def newcomer_waits(conn: AsyncConnection, office_id: int, service_ids: Sequence[int]) -> dict[int, Wait]:
    """Per procedure of the office, the place and estimate a walk-in ticket taken now would get: the
    board's "estimated wait", computed by the same statement as a ticket's own."""
    if not service_ids:
        return {}
    params = {"office_id": office_id, "service_ids": list(service_ids)}
    return _read((await conn.execute(_NEWCOMER_WAITS, params)).mappings())
