"""What a waitlist entry and a draw entry both ask for: the procedure, where and when suits the person, who they
are, and the challenge where the procedure asks for one (resolvers/availability/preferences.py)."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated

import strawberry

from resolvers.availability.preferences import EntryRequest
from schema.booking.fields import CitizenInput


@strawberry.input
class EntryInput:
    service_id: strawberry.ID
    office_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The offices the person can go to; none: any office that offers the procedure."
    )
    date_from: Annotated[date, strawberry.field(name="from")]
    date_to: Annotated[date, strawberry.field(name="to")]
    citizen: CitizenInput
    challenge: str | None = strawberry.field(
        default=None, description="A solved bookingChallenge, where the procedure's challengePolicy asks for one."
    )
    weekdays: list[int] | None = strawberry.field(
        default=None, description="ISO weekdays the person can come, 1 (Monday) to 7; none: any."
    )
    earliest: time | None = strawberry.field(
        default=None, description="The earliest start, on the office's wall clock; none: any."
    )
    latest: time | None = strawberry.field(
        default=None, description="The latest start, on the office's wall clock; none: any."
    )

    def request(self) -> EntryRequest:
        return EntryRequest(
            service_id=str(self.service_id),
            office_ids=[str(office) for office in self.office_ids] if self.office_ids is not None else None,
            from_date=self.date_from,
            to_date=self.date_to,
            citizen=self.citizen.data(),
            weekdays=self.weekdays,
            earliest=self.earliest,
            latest=self.latest,
        )
