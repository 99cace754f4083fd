"""publicWaits: the wait times anyone may read before leaving home (the /waits page)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import strawberry

from resolvers.queue import public_waits
from resolvers.queue.public_waits import MAX_PUBLIC_OFFICES, MAX_PUBLIC_QUEUES, PublicOfficeRecord
from schema.bounds import ListBound, count_or
from schema.context import Info
from schema.errors import NotFound, ValidationError
from schema.operation import run_read


@strawberry.type(description="A queue a desk serves: who waits, and the wait a ticket taken now would be told.")
class PublicQueue:
    service_id: strawberry.ID
    service_name: str
    waiting: int = strawberry.field(description="People waiting for it now.")
    estimated_wait_minutes: int | None = strawberry.field(
        description="The board's and the console's figure: what a ticket taken now would be told."
    )


@strawberry.type(description="One office's queues now, as its board shows them.")
class OfficeWaits:
    office_id: strawberry.ID
    name: str
    address: str | None
    timezone: str
    open_now: bool = strawberry.field(description="Within its opening hours now (no hours set: always).")
    local_time: datetime = strawberry.field(
        description="The office's wall clock (with its UTC offset) when these figures were computed."
    )
    queues: list[PublicQueue] = strawberry.field(extensions=[ListBound(MAX_PUBLIC_QUEUES)])

    @classmethod
    def from_record(cls, record: PublicOfficeRecord) -> OfficeWaits:
        return cls(
            office_id=strawberry.ID(str(record.office_id)),
            name=record.name,
            address=record.address,
            timezone=record.timezone,
            open_now=record.open_now,
            local_time=record.local_time,
            queues=[
                PublicQueue(
                    service_id=strawberry.ID(str(q.service_id)),
                    service_name=q.service_name,
                    waiting=q.waiting,
                    estimated_wait_minutes=q.estimated_wait_minutes,
                )
                for q in record.queues
            ],
        )


def _offices_asked(arguments: Mapping[str, Any]) -> int:
    return count_or(arguments.get("officeIds"), MAX_PUBLIC_OFFICES)


@strawberry.type(description="The wait times of the offices asked, a few seconds old at most.")
class PublicWaits:
    offices: list[OfficeWaits] = strawberry.field(
        extensions=[ListBound(MAX_PUBLIC_OFFICES, parent_size=_offices_asked)]
    )


PublicWaitsResult = Annotated[PublicWaits | ValidationError | NotFound, strawberry.union("PublicWaitsResult")]


@strawberry.type
class PublicWaitsQuery:
    @strawberry.field(
        description="Anyone: per office, open or not, its local time and each queue a desk serves with the people "
        f"waiting and the current estimate (the board's figures), at most {public_waits.CACHE_SECONDS} s old. "
        f"Without officeIds, every office (up to {MAX_PUBLIC_OFFICES}; name them in batches beyond that)."
    )
    async def public_waits(self, info: Info, office_ids: list[strawberry.ID] | None = None) -> PublicWaitsResult:
        redis, language = info.context.state.redis, info.context.language
        wanted = [str(value) for value in office_ids] if office_ids is not None else None
        return await run_read(
            info,
            lambda conn: public_waits.public_waits(conn, redis, wanted, language),
            lambda records: PublicWaits(offices=[OfficeWaits.from_record(record) for record in records]),
        )
