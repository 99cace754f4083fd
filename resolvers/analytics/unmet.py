"""Unmet demand: a search that found no free slot adds one to its (office, service, hour) counter.

One upsert of a small row, in the search's transaction once the answer is known, which the edge commits
at once (schema/agenda/fields.py): a release storm of empty searches serialises only on that row's lock
for the length of one UPDATE.

An anonymous address counts once per procedure and day, however often it searches (a script refreshing
every second is one citizen, not thousands). What is remembered is a keyed hash of the address, in Redis
for two days, never the address: one SET NX per empty search. Staff, devices and partners search on behalf
of many citizens each, so every one of their empty searches counts.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

logger = logging.getLogger("turnero.analytics")

SEEN_SECONDS = 2 * 86400  # a UTC day, and the one after, so a key never outlives the day it covers by much
_ADDRESS_HASH_BYTES = 16

# the SELECT makes unknown ids insert nothing (the search already answered "nothing" for them).
# Native: the conflict target is the expression index (coalesce(office_id, 0), ...), and bench.analytics
# times this very text on its own.
_RECORD = text("""
    INSERT INTO unmet_searches AS u (office_id, service_id, hour_start, searches)
    SELECT CAST(:office_id AS bigint), s.id, date_trunc('hour', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', 1
    FROM services s
    WHERE s.id = :service_id
      AND (CAST(:office_id AS bigint) IS NULL OR EXISTS (SELECT 1 FROM offices o WHERE o.id = :office_id))
    ON CONFLICT (coalesce(office_id, 0), service_id, hour_start) DO UPDATE SET searches = u.searches + 1
""")


@dataclass(frozen=True, slots=True)
class Searcher:
    """Who searched: `address` for anonymous callers (counted once per procedure and day), None for callers
    with a token (every search counts)."""

    redis: Redis
    secret_key: bytes
    address: str | None
    # the primary's engine when the search reads a replica (DATABASE_READ_URL), which takes no writes
    primary: AsyncEngine | None = None

    async def first_today(self, service_id: int) -> bool:
        if self.address is None:
            return True
        digest = hmac.new(self.secret_key, b"unmet-searcher:" + self.address.encode(), hashlib.sha256).digest()
        day = datetime.now(UTC).date().isoformat()
        key = f"unmet-seen:{day}:{service_id}:{digest[:_ADDRESS_HASH_BYTES].hex()}"
        try:
            return bool(await self.redis.set(key, 1, nx=True, ex=SEEN_SECONDS))
        except RedisError as error:
            # analytics only: without Redis each search counts, as before the deduplication
            logger.warning("unmet search not deduplicated: %s", type(error).__name__)
            return True


async def record_unmet_search(
    conn: AsyncConnection, searcher: Searcher, service_id: int, office_id: int | None
) -> None:
    """Counts one search with no result, in the caller's transaction (the edge commits it); after a search on
    the replica, in a transaction of its own on the primary."""
    if not await searcher.first_today(service_id):
        return
    values = {"service_id": service_id, "office_id": office_id}
    if searcher.primary is None:
        await conn.execute(_RECORD, values)
        return
    async with searcher.primary.begin() as primary:
        await primary.execute(_RECORD, values)
