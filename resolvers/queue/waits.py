"""Place in line and an honest estimate: from the recent service times of that service at that office
(median of the last 20, falling back to its duration) and the number of desks that serve it."""

from __future__ import annotations

import math
from collections.abc import Sequence

from sqlalchemy import text
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
# Native: one CTE with row comparisons and a median per ticket, for a whole batch in one round trip
# (every issue and every place-in-line read runs it).
_WAITS = text(f"""
    WITH target AS (
        SELECT t.id, t.office_id, t.service_id, t.due_at, t.target_desk_id
        FROM tickets t WHERE t.id = ANY(:ids) AND t.status = 'WAITING'
    ),
    callers AS (
        SELECT tg.id AS ticket_id, d.id AS desk_id
        FROM target tg JOIN desks d ON d.office_id = tg.office_id
        WHERE (tg.target_desk_id IS NOT NULL AND d.id = tg.target_desk_id)
           OR (tg.target_desk_id IS NULL
               AND EXISTS (SELECT 1 FROM desk_services ds WHERE ds.desk_id = d.id AND ds.service_id = tg.service_id))
    ),
    line AS (
        SELECT DISTINCT c.ticket_id, ds.service_id FROM callers c JOIN desk_services ds ON ds.desk_id = c.desk_id
    )
    SELECT tg.id,
           1 + (SELECT count(*) FROM tickets w
                WHERE w.office_id = tg.office_id AND w.status = 'WAITING' AND (w.due_at, w.id) < (tg.due_at, tg.id)
                  AND (w.service_id = tg.service_id
                       OR w.service_id IN (SELECT l.service_id FROM line l WHERE l.ticket_id = tg.id))) AS position,
           (SELECT count(*) FROM callers c WHERE c.ticket_id = tg.id) AS desks,
           {recent_median_seconds("tg.office_id", "tg.service_id")} AS median_seconds,
           s.duration_minutes
    FROM target tg JOIN services s ON s.id = tg.service_id
""")


def estimate(position: int, desks: int, median_seconds: float | None, duration_minutes: int) -> int:
    """Minutes until this ticket is called: the people ahead, served `desks` at a time."""
    per_person = (median_seconds / 60) if median_seconds else duration_minutes
    return math.ceil((position - 1) * per_person / max(desks, 1))


async def waits(conn: AsyncConnection, ticket_ids: Sequence[int]) -> dict[int, Wait]:
    """Position and estimate of each ticket still waiting (others are absent: they have none)."""
    rows = (await conn.execute(_WAITS, {"ids": list(ticket_ids)})).mappings()
    return {
        row["id"]: Wait(
            position=row["position"],
            minutes=estimate(row["position"], row["desks"], row["median_seconds"], row["duration_minutes"]),
        )
        for row in rows
    }
