"""When a DRAW service's seats are released and drawn: the draw a release opens, and the release calendar.

A release (the nightly job or `releaseSlots`) opens a draw for each DRAW service it may create slots of, unless
one is open already (then the new seats join it); a draw that got no new slot is dropped in the same transaction.
The draw takes entries for the service's drawMinutes; the draw job runs it at its close (resolvers/draws/run.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    bindparam,
    cast,
    delete,
    exists,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from models.agenda import agendas, slots
from models.catalogue import ReleasePolicy, offices, services
from models.draws import DrawStatus, draws

# when the worker's nightly release runs (jobs/worker.py), UTC
NIGHTLY_RELEASE = time(2, 15)
MAX_WINDOWS = 4  # the open draws of a service (one at a time, but one may be closing) and the next release

_OFFICE = bindparam("office_id", type_=BigInteger)
_OPEN = (
    insert(draws)
    .from_select(
        ["service_id", "opens_at", "closes_at"],
        # make_interval(years, months, weeks, days, hours, mins): the service's draw minutes from now
        select(
            services.c.id, func.now(), func.now() + func.make_interval(0, 0, 0, 0, 0, services.c.draw_minutes)
        ).where(
            services.c.release_policy == ReleasePolicy.DRAW,
            exists().where(
                agendas.c.service_id == services.c.id, or_(_OFFICE.is_(None), agendas.c.office_id == _OFFICE)
            ),
        ),
    )
    # the open-draw index's own predicate, as a literal: a bound parameter could not infer the partial index
    .on_conflict_do_nothing(index_elements=["service_id"], index_where=draws.c.status == literal_column("'OPEN'"))
    .returning(draws.c.id)
)
_DROP_EMPTY = delete(draws).where(
    draws.c.id == func.any(bindparam("ids", type_=ARRAY(BigInteger))),
    ~exists().where(slots.c.draw_id == draws.c.id),
)


async def open_draws(conn: AsyncConnection, office_id: int | None) -> list[int]:
    """A draw for each DRAW service this release may add slots to and that has none open: their ids."""
    return [int(number) for number in (await conn.execute(_OPEN, {"office_id": office_id})).scalars()]


async def drop_empty(conn: AsyncConnection, draw_ids: list[int]) -> None:
    """The draws just opened that the release gave no seat: nothing to draw."""
    if draw_ids:
        await conn.execute(_DROP_EMPTY, {"ids": draw_ids})


def next_release(now: datetime) -> datetime:
    """The nightly release after `now`."""
    today = datetime.combine(now.astimezone(UTC).date(), NIGHTLY_RELEASE, tzinfo=UTC)
    return today if today > now else today + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ReleaseWindowRecord:
    releases_at: datetime
    policy: ReleasePolicy
    draw_id: int | None  # an open draw; None for a release still to come
    draw_closes_at: datetime | None  # under DRAW: entries until then
    entries_open: bool
    from_date: date | None  # the days released, as the offices' calendars have them
    to_date: date | None


_SERVICE = select(services.c.release_policy, services.c.draw_minutes, func.now().label("now")).where(
    services.c.id == bindparam("service_id")
)

# the open draws, with the days of their slots (the partial index of slots by draw)
_SLOT_DAY = cast(func.timezone(offices.c.timezone, slots.c.starts_at), Date)
_DAYS = (
    select(func.min(_SLOT_DAY).label("first"), func.max(_SLOT_DAY).label("last"))
    .select_from(slots.join(offices, offices.c.id == slots.c.office_id))
    .where(slots.c.draw_id == draws.c.id)
    .lateral("days")
)
_OPEN_DRAWS = (
    select(
        draws.c.id,
        draws.c.opens_at,
        draws.c.closes_at,
        (draws.c.closes_at > func.now()).label("entries_open"),
        _DAYS.c.first,
        _DAYS.c.last,
    )
    .select_from(draws.join(_DAYS, true()))
    .where(draws.c.service_id == bindparam("service_id"), draws.c.status == DrawStatus.OPEN)
    .order_by(draws.c.closes_at, draws.c.id)
    .limit(bindparam("limit"))
)

# the day each office's nightly release adds: its local date then, plus the booking window
_RELEASED_DAY = (
    cast(func.timezone(offices.c.timezone, bindparam("at", type_=DateTime(timezone=True))), Date)
    + services.c.booking_window_days
)
_NEXT_DAYS = (
    select(func.min(_RELEASED_DAY).label("first"), func.max(_RELEASED_DAY).label("last"))
    .select_from(
        services.join(agendas, agendas.c.service_id == services.c.id).join(offices, offices.c.id == agendas.c.office_id)
    )
    .where(
        services.c.id == bindparam("service_id"),
        or_(agendas.c.valid_to.is_(None), agendas.c.valid_to >= _RELEASED_DAY),
    )
)


async def calendar(conn: AsyncConnection, service_id: int) -> list[ReleaseWindowRecord]:
    """The open draws, then the next nightly release (when its days have agendas); [] for no such service."""
    service = (await conn.execute(_SERVICE, {"service_id": service_id})).mappings().first()
    if service is None:
        return []
    policy = ReleasePolicy(service["release_policy"])
    windows = [
        ReleaseWindowRecord(
            releases_at=row["opens_at"],
            policy=ReleasePolicy.DRAW,
            draw_id=row["id"],
            draw_closes_at=row["closes_at"],
            entries_open=row["entries_open"],
            from_date=row["first"],
            to_date=row["last"],
        )
        for row in (await conn.execute(_OPEN_DRAWS, {"service_id": service_id, "limit": MAX_WINDOWS - 1})).mappings()
    ]
    at = next_release(service["now"])
    days = (await conn.execute(_NEXT_DAYS, {"service_id": service_id, "at": at})).mappings().one()
    if days["first"] is not None:
        windows.append(
            ReleaseWindowRecord(
                releases_at=at,
                policy=policy,
                draw_id=None,
                draw_closes_at=at + timedelta(minutes=service["draw_minutes"])
                if policy is ReleasePolicy.DRAW
                else None,
                entries_open=False,
                from_date=days["first"],
                to_date=days["last"],
            )
        )
    return windows
