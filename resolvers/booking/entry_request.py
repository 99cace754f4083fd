"""What a waitlist or a draw entry asks for: the procedure, the person, and the seats that suit them
(resolvers/availability/preferences.py checks the seats part)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Annotated

from core.inputs import Doc, Id, Named
from resolvers.booking.citizen import CitizenInput


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryRequest:
    """What a waitlist or a draw entry asks for: the procedure, the person, and the seats that suit them."""

    service_id: Id
    office_ids: Annotated[
        list[Id] | None, Doc("The offices the person can go to; none: any office that offers the procedure.")
    ] = None
    from_date: Annotated[date, Named("from")]
    to_date: Annotated[date, Named("to")]
    citizen: CitizenInput
    # checked by the Gate that the caller builds from it and passes with the request
    challenge: Annotated[
        str | None, Doc("A solved bookingChallenge, where the procedure's challengePolicy asks for one.")
    ] = None
    weekdays: Annotated[list[int] | None, Doc("ISO weekdays the person can come, 1 (Monday) to 7; none: any.")] = None
    earliest: Annotated[time | None, Doc("The earliest start, on the office's wall clock; none: any.")] = None
    latest: Annotated[time | None, Doc("The latest start, on the office's wall clock; none: any.")] = None
