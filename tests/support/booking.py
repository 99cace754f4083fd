"""Slots to book, and the GraphQL documents the booking tests send."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from core.runtime import AppState
from resolvers.booking.citizen import normalise_document
from tests.support.api import Api

BOOK = """mutation($i: BookInput!) { book(input: $i) { __typename
    ... on BookingConfirmation { manageToken booking { id code status channel startsAt
        slot { id remaining } citizen { name email phone documentHint } history { status channel note } } }
    ... on SlotUnavailable { code message alternatives { id startsAt } }
    ... on ValidationError { field message }
    ... on UserError { code message } } }"""
BOOKING = """query($c: String!, $t: String!) { booking(code: $c, manageToken: $t) {
    id code status channel startsAt office { slug } service { slug } slot { id }
    citizen { name documentHint } history { status channel note } } }"""
CANCEL = """mutation($c: String!, $t: String, $r: String) { cancelBooking(code: $c, manageToken: $t, reason: $r) {
    __typename ... on Booking { status history { status channel note } } ... on UserError { code message } } }"""
RESCHEDULE = """mutation($c: String!, $s: ID!, $t: String, $k: String) {
    rescheduleBooking(code: $c, slotId: $s, manageToken: $t, idempotencyKey: $k) { __typename
    ... on BookingConfirmation { manageToken booking { id slot { id } startsAt history { status note } } }
    ... on SlotUnavailable { code alternatives { id } } ... on ValidationError { field }
    ... on UserError { code message } } }"""
ZONE = "America/Argentina/Cordoba"


ANA = "30123456"


def citizen(document: str = ANA, **extra: Any) -> dict[str, Any]:
    """Ana (her document however written), or with another document another person: with an e-mail of
    their own (which does not spell the document out) and no phone, since limits know a person by e-mail and
    phone too."""
    contact = (
        {"email": "ana@example.org", "phone": "351 555-1234"}
        if normalise_document(document) == ANA
        else {"email": f"person.{hashlib.sha256(document.encode()).hexdigest()[:10]}@example.org", "phone": None}
    )
    return {"name": "Ana Pérez", "documentId": document, "locale": "es"} | contact | extra


async def bookable_slots(
    api: Api,
    token: str,
    *,
    capacity: int = 1,
    slots_per_day: int = 4,
    service_slug: str = "dni",
    office_slug: str = "centro",
    reserved_seats: int = 0,
    reserved_until_hours: int = 24,
    **service: Any,
) -> list[str]:
    """Free slots of one service at one office, tomorrow (office time), soonest first (as staff see them: the
    reserved seats count as free)."""
    office_id = await api.office(token, slug=office_slug)
    service_id = await api.service(token, slug=service_slug, **service)
    tomorrow = datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1)
    result = await api.agenda(
        token,
        officeId=office_id,
        serviceId=service_id,
        weekdays=[tomorrow.isoweekday()],
        startTime="09:00",
        endTime=f"{9 + slots_per_day:02d}:00",
        slotMinutes=60,
        capacity=capacity,
        validFrom=tomorrow.isoformat(),
        validTo=tomorrow.isoformat(),
        reservedSeats=reserved_seats,
        reservedUntilHours=reserved_until_hours,
    )
    assert result["__typename"] == "Agenda", result
    await api.release(token, office_id)
    data = await api.run(
        "query($s: ID!, $o: ID!, $d: Date!) { availability(serviceId: $s, officeId: $o, from: $d,"
        " to: $d) { slots { id } } }",
        {"s": service_id, "o": office_id, "d": tomorrow.isoformat()},
        token,
    )
    return [slot["id"] for day in data["availability"] for slot in day["slots"]]


async def book(api: Api, slot_id: str, token: str | None = None, **fields: Any) -> dict[str, Any]:
    data = await api.run(BOOK, {"i": {"slotId": slot_id, "citizen": citizen()} | fields}, token)
    result: dict[str, Any] = data["book"]
    return result


async def scalar(state: AppState, sql: str, **params: Any) -> Any:
    async with state.engine.connect() as conn:
        return (await conn.execute(text(sql), params)).scalar()
