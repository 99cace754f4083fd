"""Issue 14 part 8: the mails of the waitlist and of confirmation links, composed from the real outbox and sent
through a real SMTP server (aiosmtpd), in Spanish and English: a seat offered (with the link that accepts it
and the deadline), an offer that ran out, and the link that confirms a PENDING booking."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from core.runtime import AppState
from core.settings import Settings
from resolvers.booking.freed_seats import OfferTiming, expire_one
from tests.notifications.test_mail import ENGLISH_MONTHS, SPANISH_MONTHS, delivered, local
from tests.support.api import Api
from tests.support.booking import BOOKING, CANCEL, ZONE, book, bookable_slots, citizen, scalar
from tests.support.mail import attachments, compose_only, html, link, plain, subject_of
from tests.support.mail_sink import Sink, smtp_sink
from tests.waitlist.test_offers import ENTRY, waiting

PUBLIC_URL = "https://turnos.example.gob"


@pytest.fixture
def sink() -> Iterator[Sink]:
    with smtp_sink() as running:
        yield running


@pytest.fixture
def smtp_settings(settings: Settings, sink: Sink) -> Settings:
    return settings.model_copy(update={"smtp_url": sink.url, "public_url": PUBLIC_URL})


def clock(moment: datetime, locale: str = "es") -> str:
    """A moment as the mails write it, on the office's clock (in English on a 12-hour one, AM or PM after)."""
    there = moment.astimezone(ZoneInfo(ZONE))
    hour = there.hour % 12 or 12 if locale.startswith("en") else there.hour
    return f"{hour}:{there.minute:02d}"


async def an_offer(api: Api, admin: str, state: AppState, locale: str) -> tuple[dict[str, Any], datetime]:
    """A booked one-seat slot, someone on the waitlist (in `locale`), and the booking cancelled: the seat is
    offered to them. Their entry, and the slot's start."""
    slot_id = (await bookable_slots(api, admin, capacity=1))[0]
    booked = await book(api, slot_id)
    assert booked["__typename"] == "BookingConfirmation", booked
    service_id = int(await scalar(state, "SELECT service_id FROM slots WHERE id = :id", id=int(slot_id)))
    entry = await waiting(api, service_id, "27000001", locale=locale)
    cancelled = await api.run(CANCEL, {"c": booked["booking"]["code"], "t": booked["manageToken"]})
    assert cancelled["cancelBooking"]["__typename"] == "Booking"
    return entry, local(booked["booking"]["startsAt"])


def no_attachments(message: EmailMessage) -> None:
    """A mail that is not a booking carries no calendar event and no QR code."""
    assert attachments(message, "text/calendar") == []
    assert attachments(message, "image/png") == []


async def test_an_offer_in_spanish_says_what_until_when_and_links_to_accepting_it(
    api: Api, admin_token: str, state: AppState, smtp_settings: Settings, sink: Sink
) -> None:
    entry, starts = await an_offer(api, admin_token, state, "es")
    offered = (await api.run(ENTRY, {"id": entry["id"], "t": entry["manageToken"]}))["waitlistEntry"]
    assert offered["status"] == "OFFERED"
    until = datetime.fromisoformat(offered["offerExpiresAt"])

    message = await delivered(smtp_settings, sink, await compose_only(state, smtp_settings, "waitlist.offer"))

    assert message["To"].addresses[0].addr_spec == "27000001@example.org"
    assert message["Content-Language"] == "es"
    assert subject_of(message).startswith("Se liberó un turno para usted: Service dni")
    body, page = plain(message), html(message)
    for text_ in (body, page):
        assert "Hola, Ana Pérez" in text_
        assert f"{starts.day} de {SPANISH_MONTHS[starts.month - 1]}" in text_
        assert clock(starts) in text_
        assert clock(until) in text_  # how long it is kept
        assert "Office centro" in text_
    assert '<html lang="es">' in page
    no_attachments(message)
    url = link(body, f"{PUBLIC_URL}/waitlist#")
    assert unescape(link(page, f"{PUBLIC_URL}/waitlist#")) == url  # `&` written `&amp;` in the HTML part
    fragment = parse_qs(urlsplit(url).fragment)
    assert fragment["id"] == [entry["id"]]
    # the link's token is the entry's own: it reads the offer (and accepts it, tests/waitlist/test_offers.py)
    found = (await api.run(ENTRY, {"id": fragment["id"][0], "t": fragment["token"][0]}))["waitlistEntry"]
    assert found["status"] == "OFFERED"


async def test_an_offer_and_its_expiry_in_english(
    api: Api, admin_token: str, state: AppState, smtp_settings: Settings, sink: Sink
) -> None:
    entry, starts = await an_offer(api, admin_token, state, "en-GB")
    offer = await delivered(smtp_settings, sink, await compose_only(state, smtp_settings, "waitlist.offer"))
    assert offer["Content-Language"] == "en"
    assert subject_of(offer).startswith("A seat is offered to you: Service dni")
    assert f"{ENGLISH_MONTHS[starts.month - 1]} {starts.day}" in plain(offer)
    assert clock(starts, "en") in plain(offer)
    assert "Hello Ana Pérez" in plain(offer)
    assert "Hola" not in plain(offer)

    async with state.engine.begin() as conn:
        await conn.execute(
            text("UPDATE waitlist_entries SET offer_expires_at = now() - interval '1 second' WHERE id = :id"),
            {"id": int(entry["id"])},
        )
    async with state.engine.begin() as conn:
        assert await expire_one(conn, OfferTiming(timedelta(minutes=60), timedelta(0)))

    expired = await delivered(smtp_settings, sink, await compose_only(state, smtp_settings, "waitlist.offer_expired"))
    assert expired["To"].addresses[0].addr_spec == "27000001@example.org"
    assert expired["Content-Language"] == "en"
    assert subject_of(expired) == "The seat offered to you has run out: Service dni"
    body, page = plain(expired), html(expired)
    for text_ in (body, page):
        assert "Hello Ana Pérez" in text_
        assert f"{ENGLISH_MONTHS[starts.month - 1]} {starts.day}" in text_
        assert "no longer on it" in text_
        assert f"{PUBLIC_URL}/" in text_  # where to book or join again
    assert f"{PUBLIC_URL}/waitlist" not in body  # the entry is over: no link to it
    assert '<html lang="en">' in page
    no_attachments(expired)


@pytest.mark.parametrize(
    ("locale", "opening", "button"),
    [
        ("es", "Confirme su turno", "Confirmar mi turno"),
        ("en-GB", "Confirm your appointment", "Confirm my appointment"),
    ],
)
async def test_the_confirmation_link_goes_out_with_its_deadline(
    api: Api,
    admin_token: str,
    state: AppState,
    smtp_settings: Settings,
    sink: Sink,
    locale: str,
    opening: str,
    button: str,
) -> None:
    slot_id = (await bookable_slots(api, admin_token, capacity=1, confirmationRequired=True))[0]
    made = await book(api, slot_id, citizen=citizen(locale=locale))
    assert made["__typename"] == "BookingConfirmation", made
    code, token = made["booking"]["code"], made["manageToken"]
    assert made["booking"]["status"] == "PENDING"
    confirm_by = await scalar(state, "SELECT confirm_by FROM bookings WHERE code = :c", c=code)

    message = await delivered(
        smtp_settings, sink, await compose_only(state, smtp_settings, "booking.confirmation_request")
    )

    assert message["To"].addresses[0].addr_spec == "ana@example.org"
    assert message["Content-Language"] == locale[:2]
    subject = subject_of(message)
    assert subject.startswith(f"{opening} {code}")
    deadline = clock(confirm_by, locale)
    assert deadline in subject
    body, page = plain(message), html(message)
    assert deadline in body
    assert deadline in page
    assert button in page
    no_attachments(message)  # not an appointment until confirmed: nothing to put in a calendar or scan
    url = link(body, f"{PUBLIC_URL}/booking/")
    assert link(page, f"{PUBLIC_URL}/booking/") == url
    assert url == f"{PUBLIC_URL}/booking/{code}#token={token}"
    found = (await api.run(BOOKING, {"c": code, "t": token}))["booking"]
    assert found["status"] == "PENDING"  # the mail's link opens the page, which confirms (tests/web/test_screens.py)
