"""The public wait times (publicWaits, the /waits page): per office, whether it is open, its local time, and
each queue a desk serves with the people waiting and the wait a ticket taken now would be told.

The figures are the board's own (board.queue_counts, waits.newcomer_waits), so a citizen at home reads what
the screen in the room and the console show. Anyone may ask, as often as they like: each office's figures are
computed at most once per CACHE_SECONDS across every API process (Redis), whatever the number of callers;
when Redis is away they are computed each time (still costed and rate-limited like any anonymous query).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import NotFoundError, ValidationFailed
from core.messages import msg
from core.validation import parse_id
from models.catalogue import Office, services
from resolvers.catalogue.translations import translated
from resolvers.queue.board import queue_counts, queues
from resolvers.queue.join import open_now

logger = logging.getLogger("turnero.public_waits")

CACHE_SECONDS = 5
# offices per request (and the whole city when none is named: a larger city names them in batches)
MAX_PUBLIC_OFFICES = 40
# the queues a desk serves at one office, listed at most
MAX_PUBLIC_QUEUES = 80
_PREFIX = "turnero:public-waits"
_OFFICE = select(Office.id, Office.name, Office.address, Office.timezone)


@dataclass(frozen=True, slots=True)
class PublicQueueRecord:
    service_id: int
    service_name: str
    waiting: int
    estimated_wait_minutes: int | None


@dataclass(frozen=True, slots=True)
class PublicOfficeRecord:
    office_id: int
    name: str
    address: str | None
    timezone: str
    open_now: bool
    local_time: datetime  # the office's wall clock when the figures were computed (as_of)
    queues: list[PublicQueueRecord]


def _dump(record: PublicOfficeRecord) -> str:
    data = asdict(record)
    data["local_time"] = record.local_time.isoformat()
    return json.dumps(data)


def _load(text: str | bytes) -> PublicOfficeRecord:
    data = json.loads(text)
    return PublicOfficeRecord(
        office_id=data["office_id"],
        name=data["name"],
        address=data["address"],
        timezone=data["timezone"],
        open_now=data["open_now"],
        local_time=datetime.fromisoformat(data["local_time"]),
        queues=[PublicQueueRecord(**queue) for queue in data["queues"]],
    )


def _key(office_id: int | None, language: str) -> str:
    # the language is in the key for the catalogue's translated names; the figures are the same in each
    return f"{_PREFIX}:{language}:{office_id if office_id is not None else 'city'}"


async def _office_ids(conn: AsyncConnection, redis: Redis, wanted: list[str] | None, language: str) -> list[int]:
    if wanted is not None:
        if len(wanted) > MAX_PUBLIC_OFFICES:
            raise ValidationFailed(
                "officeIds",
                msg("{field} must be between {low} and {high}.", field="officeIds", low=0, high=MAX_PUBLIC_OFFICES),
            )
        ids = [parse_id(value) for value in wanted]
        if any(number is None for number in ids):
            raise ValidationFailed("officeIds", msg("{field} is not a valid ID.", field="officeIds"))
        return list(dict.fromkeys(number for number in ids if number is not None))
    cached = await _get(redis, [_key(None, language)])
    if cached[0] is not None:
        city: list[int] = json.loads(cached[0])
        return city
    city = list(
        (await conn.execute(select(Office.id).order_by(Office.name, Office.id).limit(MAX_PUBLIC_OFFICES + 1))).scalars()
    )
    if len(city) > MAX_PUBLIC_OFFICES:
        raise ValidationFailed(
            "officeIds",
            msg("{field} must be between {low} and {high}.", field="officeIds", low=1, high=MAX_PUBLIC_OFFICES),
        )
    await _set(redis, {_key(None, language): json.dumps(city)})
    return city


async def _get(redis: Redis, keys: list[str]) -> list[bytes | str | None]:
    try:
        found: list[bytes | str | None] = await redis.mget(keys)
        return found
    except (RedisError, OSError) as error:
        logger.warning("public waits cache unreachable, computing: %r", error)
        return [None] * len(keys)


async def _set(redis: Redis, values: dict[str, str]) -> None:
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for key, value in values.items():
                pipe.set(key, value, ex=CACHE_SECONDS)
            await pipe.execute()
    except (RedisError, OSError) as error:
        logger.warning("public waits cache unreachable, not kept: %r", error)


async def _compute(conn: AsyncConnection, office: Any, now: datetime, language: str) -> PublicOfficeRecord:
    # the queues a desk serves: the board's list, and its figures, by the same statements
    served = [count for count in await queue_counts(conn, office.id) if count.served][:MAX_PUBLIC_QUEUES]
    figures = await queues(conn, office.id, served) if served else []
    # in the reader's language where the catalogue has it (the cache keys carry the language)
    asked = select(services.c.id, translated("name", language).label("name")).where(
        services.c.id.in_([q.service_id for q in figures])
    )
    names: dict[int, str] = {row.id: row.name for row in await conn.execute(asked)}
    return PublicOfficeRecord(
        office_id=office.id,
        name=office.name,
        address=office.address,
        timezone=office.timezone,
        open_now=await open_now(conn, office.id, office.timezone, now),
        local_time=now.astimezone(ZoneInfo(office.timezone)),
        queues=[
            PublicQueueRecord(
                service_id=q.service_id,
                service_name=names[q.service_id],
                waiting=q.waiting,
                estimated_wait_minutes=q.estimated_wait_minutes,
            )
            for q in figures
        ],
    )


async def public_waits(
    conn: AsyncConnection, redis: Redis, office_ids: list[str] | None, language: str
) -> list[PublicOfficeRecord]:
    """The offices asked (every office when None), in that order (by name for every office); an unknown ID is
    NotFound. From the cache where an office's figures are younger than CACHE_SECONDS."""
    ids = await _office_ids(conn, redis, office_ids, language)
    if not ids:
        return []
    cached = await _get(redis, [_key(number, language) for number in ids])
    found = {number: _load(text) for number, text in zip(ids, cached, strict=True) if text is not None}
    missing = [number for number in ids if number not in found]
    if missing:
        offices = (await conn.execute(_OFFICE.where(Office.id.in_(missing)))).all()
        if len(offices) < len(missing):
            raise NotFoundError("No office has this ID.")
        now = (await conn.execute(select(func.now()))).scalar_one()
        fresh = {office.id: await _compute(conn, office, now, language) for office in offices}
        await _set(redis, {_key(number, language): _dump(record) for number, record in fresh.items()})
        found |= fresh
    return [found[number] for number in ids]
