"""Versions of what availability and earliestSlots can answer, in Redis: the cached answers' invalidation.

Every statement that writes a table those answers read (slots, holds, agendas, closures, the catalogue) marks
its connection, seen here by one engine event for every statement of the process, so no writer can forget:
the writer of the next seat-changing path is covered without a word. After the transaction ends the marks are
turned into `INCR`s: of the version of each service a writer named (`changed`: the booking paths, a release
burst's hot writes, invalidate only their own service), else of the one epoch every cached answer is keyed by
(a write nobody named may have changed anything). A spurious increment costs a cache miss, never a stale answer.

The versions live in Redis, not in a PostgreSQL row: a row that every booking of a service updates would
serialize a release burst on its lock. They are bumped AFTER COMMIT (schema/operation.run_mutation awaits it
before the mutation's answer is sent; any other transaction's marks are bumped when its connection goes back
to the pool, right after its commit), and readers read them BEFORE their query (schema/availability_cache.py's look_up):
so an answer computed from a snapshot taken before a commit is stored under a version older than the one
that commit's bump makes, and never served after it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

logger = logging.getLogger("turnero.availability")

EPOCH_KEY = "availability:epoch"
SERVICE_KEY = "availability:service:{}"
# in the DBAPI connection's info (pooled connections keep it across check-outs: taken, never left behind)
_UNNAMED = "turnero_availability_unnamed_write"
_SERVICES = "turnero_availability_services"

# what availability/earliestSlots read: seats, holds and draws (slots, slot_holds), what makes slots
# (agendas, closures), the catalogue their answers show (offices, services, their translations, offerings), and
# the waitlist (while someone waits, a citizen's hold that just ended still counts: agenda/records.held_seats)
_TABLES = (
    "slots|slot_holds|agendas|closures|offices|services|service_translations|office_services|opening_hours"
    "|waitlist_entries"
)
# and the database functions that write them (migrations/versions/0027_book_in_one_call.py: book_one)
_FUNCTIONS = "book_one"
_WRITE = re.compile(
    rf"\b(?:(?:UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+(?:{_TABLES})\b|(?:{_FUNCTIONS})\s*\()", re.IGNORECASE
)


@lru_cache(maxsize=4096)
def writes_availability(statement: str) -> bool:
    """Cached by statement text: the process runs a few hundred distinct statements, each str hashed once."""
    return _WRITE.search(statement) is not None


def _mark(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    if writes_availability(statement):
        conn.info[_UNNAMED] = True


def _after_checkin(dbapi_connection: Any, record: Any) -> None:
    """The safety net: marks nobody took (a job, a script, a mutation run outside run_mutation) are bumped once
    the connection is back in the pool, which is after its COMMIT or ROLLBACK."""
    marks = _take(record.info)
    redis = _REDIS.get(id(record.info.get(_ENGINE_KEY)))
    if marks is None or redis is None:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    task = loop.create_task(bump(redis, marks))
    _PENDING.add(task)
    task.add_done_callback(_PENDING.discard)


_ENGINE_KEY = "turnero_availability_engine"
_REDIS: dict[int, Redis] = {}
_PENDING: set[asyncio.Task[None]] = set()


def install(engine: AsyncEngine, redis: Redis) -> None:
    """Marks every availability write of this engine's connections; bumps unclaimed marks on check-in."""
    sync_engine = engine.sync_engine
    _REDIS[id(sync_engine)] = redis
    event.listen(sync_engine, "before_cursor_execute", _mark)

    def remember_engine(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        record.info[_ENGINE_KEY] = sync_engine

    event.listen(sync_engine.pool, "checkout", remember_engine)
    event.listen(sync_engine.pool, "checkin", _after_checkin)


def uninstall(engine: AsyncEngine) -> None:
    _REDIS.pop(id(engine.sync_engine), None)


def changed(conn: AsyncConnection, service_ids: Iterable[int]) -> None:
    """The writes this transaction made so far changed only these services' answers: their versions are bumped
    instead of the epoch. Call it after the statements it vouches for (a later unnamed write marks again)."""
    info = conn.sync_connection.info if conn.sync_connection is not None else None
    if info is None:
        return
    info.setdefault(_SERVICES, set()).update(service_ids)
    info.pop(_UNNAMED, None)


Marks = tuple[bool, frozenset[int]]


def _take(info: dict[Any, Any]) -> Marks | None:
    unnamed = bool(info.pop(_UNNAMED, False))
    services = frozenset(info.pop(_SERVICES, ()))
    if not unnamed and not services:
        return None
    return unnamed, services


def marks_of(conn: AsyncConnection) -> dict[Any, Any]:
    """Where this connection's marks are kept: read it while the connection is sound (a failed statement may
    invalidate the connection, and then its `info` cannot be reached any more)."""
    assert conn.sync_connection is not None, "a connection in use"
    info: dict[Any, Any] = conn.sync_connection.info
    return info


def take(marks: dict[Any, Any]) -> Marks | None:
    """The transaction's marks (from marks_of), taken so that the check-in does not bump them too: the caller
    bumps them."""
    return _take(marks)


async def bump(redis: Redis, marks: Marks | None) -> None:
    """One round trip. A Redis that cannot be reached leaves the versions unbumped (logged): an answer cached
    before this write may then be served until its TTL ends (TURNERO_AVAILABILITY_CACHE_SECONDS, at most 30 s)."""
    if marks is None:
        return
    unnamed, services = marks
    keys = [EPOCH_KEY] if unnamed else [SERVICE_KEY.format(s) for s in sorted(services)]
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.incr(key)
            await pipe.execute()
    except Exception as error:  # never fail a committed write for its cache's sake
        logger.warning("availability versions not bumped: %r", error)
