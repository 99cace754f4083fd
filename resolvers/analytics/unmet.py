"""Unmet demand: a search that found no free slot adds one to its (office, service, hour) counter.

One upsert of a small row, in its own short transaction after the answer is known: a release storm of
empty searches serialises only on that row's lock for the length of one UPDATE."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# the SELECT makes unknown ids insert nothing (the search already answered "nothing" for them)
_RECORD = text("""
    INSERT INTO unmet_searches AS u (office_id, service_id, hour_start, searches)
    SELECT CAST(:office_id AS bigint), s.id, date_trunc('hour', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', 1
    FROM services s
    WHERE s.id = :service_id
      AND (CAST(:office_id AS bigint) IS NULL OR EXISTS (SELECT 1 FROM offices o WHERE o.id = :office_id))
    ON CONFLICT (coalesce(office_id, 0), service_id, hour_start) DO UPDATE SET searches = u.searches + 1
""")


async def record_unmet_search(conn: AsyncConnection, service_id: int, office_id: int | None) -> None:
    """Counts one search with no result and commits it (the connection's read is over by then)."""
    await conn.execute(_RECORD, {"service_id": service_id, "office_id": office_id})
    await conn.commit()
