"""The citizen's mails, composed from the real outbox and sent to a real SMTP server (aiosmtpd), or written
as .eml files: language, content, calendar file, QR code, links that only open pages, and the SMTP connections
a delivery run reuses."""

from __future__ import annotations

import asyncio
import email.policy
import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import aiosmtplib
import pytest
from icalendar import Calendar
from PIL import Image
from sqlalchemy import text

from core.runtime import AppState
from core.settings import Settings
from notifications.mail.transport import mailer, send, smtp_server
from notifications.outbox import OutboxRow
from tests.support.api import Api
from tests.support.booking import BOOKING, CANCEL, RESCHEDULE, ZONE, book, bookable_slots, citizen
from tests.support.mail import (
    attachments,
    compose_only,
    composed,
    html,
    link,
    outbox_rows,
    payload_bytes,
    plain,
    subject_of,
)
from tests.support.mail_sink import Sink, smtp_sink

PUBLIC_URL = "https://turnos.example.gob"
ADDRESS = "Av. Colón 123, Córdoba"
DOCUMENTS = ["DNI vigente", "Partida de nacimiento"]
SPANISH_MONTHS = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()
ENGLISH_MONTHS = "January February March April May June July August September October November December".split()


@pytest.fixture
def sink() -> Iterator[Sink]:
    with smtp_sink() as running:
        yield running


@pytest.fixture
def smtp_settings(settings: Settings, sink: Sink) -> Settings:
    return settings.model_copy(update={"smtp_url": sink.url, "public_url": PUBLIC_URL})


async def booked(api: Api, admin_token: str, slots: int = 2, **person: Any) -> tuple[list[str], dict[str, Any]]:
    """Free slots of a service with documents to bring at an office with an address, the first one booked."""
    slot_ids = await bookable_slots(api, admin_token, slots_per_day=slots, requiredDocuments=DOCUMENTS)
    await api.office(admin_token, slug="centro", address=ADDRESS)
    confirmation = await book(api, slot_ids[0], citizen=citizen(**person))
    assert confirmation["__typename"] == "BookingConfirmation", confirmation
    return slot_ids, confirmation


async def delivered(settings: Settings, sink: Sink, message: EmailMessage) -> EmailMessage:
    await send(settings, message)
    (received,) = sink.messages
    sink.messages.clear()
    return received


def local(starts_at: str) -> datetime:
    return datetime.fromisoformat(starts_at).astimezone(ZoneInfo(ZONE))


def calendar_event(message: EmailMessage) -> Any:
    (ics,) = attachments(message, "text/calendar")
    (event,) = Calendar.from_ical(payload_bytes(ics)).walk("VEVENT")
    return event


async def test_confirmation_in_spanish_has_everything_the_citizen_needs(
    api: Api, admin_token: str, state: AppState, smtp_settings: Settings, sink: Sink
) -> None:
    _, confirmation = await booked(api, admin_token)
    booking, token = confirmation["booking"], confirmation["manageToken"]
    code, starts = booking["code"], local(booking["startsAt"])

    message = await delivered(smtp_settings, sink, await compose_only(state, smtp_settings, "booking.confirmation"))

    assert message["To"].addresses[0].addr_spec == "ana@example.org"
    assert message["From"] == smtp_settings.mail_from
    assert message["Message-ID"]
    assert message["Content-Language"] == "es"
    subject, body, page = subject_of(message), plain(message), html(message)
    assert subject.startswith("Turno confirmado")
    assert code in subject
    for text_ in (body, page):
        assert "Hola, Ana Pérez" in text_
        assert code in text_
        assert ADDRESS in text_
        assert all(document in text_ for document in DOCUMENTS)
        assert f"{starts.day} de {SPANISH_MONTHS[starts.month - 1]}" in text_
        assert f"{starts.hour}:{starts.minute:02d}" in text_
    assert '<html lang="es">' in page
    assert "<h1" in page

    event = calendar_event(message)
    assert str(event["UID"]) == f"booking-{booking['id']}@turnos.example.gob"
    assert event.decoded("DTSTART") == starts
    assert event["DTSTART"].params["TZID"] == ZONE
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=1)
    assert code in str(event["DESCRIPTION"])
    assert ADDRESS in str(event["LOCATION"])
    assert str(event["SUMMARY"]) == "Service dni"

    (qr,) = attachments(message, "image/png")
    content_id = str(qr["Content-ID"]).strip("<>")
    assert f'src="cid:{content_id}"' in page
    assert f'alt="Código QR del turno {code}"' in page
    image = Image.open(io.BytesIO(payload_bytes(qr)))
    assert image.format == "PNG"
    assert image.width == image.height >= (21 + 2 * 4) * 8  # the smallest QR and its quiet zone, 8 px a module

    url = link(body, f"{PUBLIC_URL}/booking/")
    assert link(page, f"{PUBLIC_URL}/booking/") == url
    parts = urlsplit(url)
    assert parts.path == f"/booking/{code}"
    assert parts.query == ""
    assert parts.fragment == f"token={token}"
    found = await api.run(BOOKING, {"c": code, "t": parts.fragment.removeprefix("token=")})
    assert found["booking"]["status"] == "BOOKED"  # the link's token is the booking's own


async def test_confirmation_in_english(api: Api, admin_token: str, state: AppState, smtp_settings: Settings) -> None:
    _, confirmation = await booked(api, admin_token, locale="en-GB")
    code, starts = confirmation["booking"]["code"], local(confirmation["booking"]["startsAt"])

    message = await compose_only(state, smtp_settings, "booking.confirmation")

    assert subject_of(message).startswith("Appointment confirmed")
    assert code in subject_of(message)
    body, page = plain(message), html(message)
    assert "Hello Ana Pérez" in body
    assert "Your appointment is confirmed" in page
    assert f"{ENGLISH_MONTHS[starts.month - 1]} {starts.day}" in body
    assert "What to bring" in body
    assert "Qué" not in body
    assert '<html lang="en">' in page
    assert 'alt="QR code of booking' in page
    assert message["Content-Language"] == "en"


async def test_change_says_the_new_and_previous_time_and_updates_the_calendar_event(
    api: Api, admin_token: str, state: AppState, smtp_settings: Settings, sink: Sink
) -> None:
    slots, confirmation = await booked(api, admin_token)
    code, token = confirmation["booking"]["code"], confirmation["manageToken"]
    before = local(confirmation["booking"]["startsAt"])
    moved = await api.run(RESCHEDULE, {"c": code, "s": slots[1], "t": token})
    assert moved["rescheduleBooking"]["__typename"] == "BookingConfirmation", moved
    after = local(moved["rescheduleBooking"]["booking"]["startsAt"])

    message = await delivered(smtp_settings, sink, await compose_only(state, smtp_settings, "booking.change"))

    assert subject_of(message).startswith("Turno reprogramado")
    assert code in subject_of(message)
    body = plain(message)
    assert f"Antes: {before.strftime('%A')}" not in body  # written in Spanish, not the C locale
    assert f"{before.hour}:00" in body.split("Ahora:")[0]
    assert "Ahora: " in body
    assert f"{after.hour}:00" in body.split("Ahora:")[1]
    event = calendar_event(message)
    assert event.decoded("DTSTART") == after
    assert str(event["UID"]) == f"booking-{confirmation['booking']['id']}@turnos.example.gob"
    assert int(event["SEQUENCE"]) == 1  # replaces the confirmation's event (SEQUENCE 0) in calendars
    assert link(body, f"{PUBLIC_URL}/booking/").endswith(f"#token={token}")


async def test_cancellation_gives_the_reason_and_no_manage_link(
    api: Api, admin_token: str, state: AppState, smtp_settings: Settings, sink: Sink
) -> None:
    _, confirmation = await booked(api, admin_token, locale="en")
    code, token = confirmation["booking"]["code"], confirmation["manageToken"]
    cancelled = await api.run(CANCEL, {"c": code, "t": token, "r": "I found a <b>sooner</b> one"})
    assert cancelled["cancelBooking"]["__typename"] == "Booking", cancelled

    message = await delivered(smtp_settings, sink, await compose_only(state, smtp_settings, "booking.cancellation"))

    assert subject_of(message).startswith("Appointment cancelled")
    assert code in subject_of(message)
    body, page = plain(message), html(message)
    assert "Reason: I found a <b>sooner</b> one" in body
    assert "Reason: I found a &lt;b&gt;sooner&lt;/b&gt; one" in page  # what people typed is never markup
    assert "/booking/" not in body
    assert "/booking/" not in page
    assert attachments(message, "text/calendar") == []
    assert attachments(message, "image/png") == []
    assert f"{PUBLIC_URL}/" in body


async def test_a_closure_cancellation_says_the_office_is_closed(
    api: Api, admin_token: str, state: AppState, smtp_settings: Settings
) -> None:
    _, confirmation = await booked(api, admin_token)
    day = local(confirmation["booking"]["startsAt"]).date().isoformat()
    office_id = (await api.run("{ offices { id } }"))["offices"][0]["id"]
    closed = await api.run(
        "mutation($i: ClosureInput!) { addClosure(input: $i) { __typename } }",
        {"i": {"officeId": office_id, "date": day, "reason": "Desinfección"}},
        admin_token,
    )
    assert closed["addClosure"]["__typename"] == "Closure", closed

    message = await compose_only(state, smtp_settings, "booking.cancellation")

    body = plain(message)
    assert "La oficina Office centro no atenderá ese día" in body
    assert "Motivo: Desinfección" in body


async def test_reminder_is_sent_for_a_booked_appointment_only(
    api: Api, admin_token: str, state: AppState, smtp_settings: Settings
) -> None:
    _, confirmation = await booked(api, admin_token)
    booking = confirmation["booking"]
    async with state.engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO outbox (kind, booking_id) VALUES ('booking.reminder', :b)"), {"b": int(booking["id"])}
        )

    message = await compose_only(state, smtp_settings, "booking.reminder")
    assert subject_of(message).startswith("Recordatorio")
    assert booking["code"] in subject_of(message)
    assert attachments(message, "image/png")
    assert link(plain(message), f"{PUBLIC_URL}/booking/")

    cancelled = await api.run(CANCEL, {"c": booking["code"], "t": confirmation["manageToken"]})
    assert cancelled["cancelBooking"]["__typename"] == "Booking"
    (reminder,) = await outbox_rows(state, "booking.reminder")
    assert await composed(state, smtp_settings, reminder) is None  # a reminder of a cancelled booking misleads


async def test_no_mail_without_an_address_or_for_kinds_that_are_not_mail(
    api: Api, admin_token: str, state: AppState, smtp_settings: Settings
) -> None:
    _, confirmation = await booked(api, admin_token, email=None)
    (row,) = await outbox_rows(state, "booking.confirmation")
    assert await composed(state, smtp_settings, row) is None
    booking_id = int(confirmation["booking"]["id"])
    for kind in ("ticket.called", "booking.no_show"):
        assert await composed(state, smtp_settings, OutboxRow(0, kind, booking_id, {}, 1)) is None


async def test_without_smtp_url_mail_is_written_as_eml_files(
    api: Api, admin_token: str, state: AppState, settings: Settings, tmp_path: Path
) -> None:
    local_settings = settings.model_copy(update={"smtp_url": None, "data_dir": tmp_path, "public_url": PUBLIC_URL})
    _, confirmation = await booked(api, admin_token)
    message = await compose_only(state, local_settings, "booking.confirmation")

    await send(local_settings, message)

    (written,) = (tmp_path / "mail").iterdir()  # no temporary file left beside it
    assert written.suffix == ".eml"
    with written.open("rb") as file:
        parsed = BytesParser(policy=email.policy.default).parse(file)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Message-ID"] == message["Message-ID"]
    assert subject_of(parsed) == subject_of(message)
    assert confirmation["booking"]["code"] in plain(parsed)
    assert plain(parsed) == plain(message)
    assert html(parsed) == html(message)
    assert calendar_event(parsed).decoded("DTSTART") == local(confirmation["booking"]["startsAt"])
    assert len(attachments(parsed, "image/png")) == 1


async def test_the_calendar_part_declares_charset_and_method_and_keeps_its_accents(
    api: Api, admin_token: str, state: AppState, settings: Settings, tmp_path: Path
) -> None:
    """RFC 5545 §8.1 and RFC 6047: a strict client reads the calendar by the charset its part declares."""
    local_settings = settings.model_copy(update={"smtp_url": None, "data_dir": tmp_path, "public_url": PUBLIC_URL})
    await booked(api, admin_token)
    await send(local_settings, await compose_only(state, local_settings, "booking.confirmation"))

    (written,) = (tmp_path / "mail").iterdir()
    parsed = BytesParser(policy=email.policy.strict).parsebytes(written.read_bytes())
    assert isinstance(parsed, EmailMessage)
    assert [part.defects for part in parsed.walk() if part.defects] == []
    (ics,) = attachments(parsed, "text/calendar")
    assert ics.get_param("charset") == "utf-8"
    assert ics.get_param("method") == "PUBLISH"
    text_ = ics.get_content()  # decoded by the declared charset, as a strict client does
    assert isinstance(text_, str)
    calendar = Calendar.from_ical(text_)
    assert str(calendar["METHOD"]) == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    assert ADDRESS in str(event["LOCATION"])  # "Colón", "Córdoba": not "ColÃ³n"


async def test_a_refusing_server_raises_so_the_outbox_retries(
    api: Api, admin_token: str, state: AppState, smtp_settings: Settings, sink: Sink
) -> None:
    await booked(api, admin_token)
    message = await compose_only(state, smtp_settings, "booking.confirmation")
    sink.refuse = True
    with pytest.raises(aiosmtplib.SMTPException, match="451"):
        await send(smtp_settings, message)


def test_smtp_url_rules() -> None:
    plain_server = smtp_server("smtp://mailer:p%40ss%2Fword@mail.example.org")
    assert (plain_server.host, plain_server.port, plain_server.implicit_tls, plain_server.starttls) == (
        "mail.example.org",
        25,
        False,
        False,
    )
    assert (plain_server.username, plain_server.password) == ("mailer", "p@ss/word")
    assert "p@ss" not in repr(plain_server)
    assert "word" not in repr(plain_server)
    assert smtp_server("smtp://relay:2525?starttls=1").starttls
    starttls = smtp_server("smtp+starttls://relay")
    assert (starttls.port, starttls.starttls, starttls.implicit_tls) == (587, True, False)
    implicit = smtp_server("smtps://u:p@relay")
    assert (implicit.port, implicit.starttls, implicit.implicit_tls) == (465, False, True)
    with pytest.raises(ValueError, match="SMTP_URL") as refused:
        smtp_server("http://user:secret@relay")
    assert "secret" not in str(refused.value)


# connections reused across a delivery run's mails


def plain_mail(n: int) -> EmailMessage:
    message = EmailMessage()
    message["To"] = f"citizen{n}@example.org"
    message["Subject"] = f"Turno {n}"
    message.set_content(f"mail {n}")
    return message


def subjects_received(sink: Sink) -> list[str]:
    return sorted(str(message["Subject"]) for message in sink.messages)


async def test_one_connection_carries_a_run_of_mails(smtp_settings: Settings, sink: Sink) -> None:
    async with mailer(smtp_settings) as out:
        for n in range(12):
            await out.send(plain_mail(n))
    assert subjects_received(sink) == sorted(f"Turno {n}" for n in range(12))
    assert len(sink.peers) == 1


async def test_concurrent_senders_use_a_connection_each_at_most(smtp_settings: Settings, sink: Sink) -> None:
    async with mailer(smtp_settings) as out:
        for start in range(0, 24, 4):
            await asyncio.gather(*(out.send(plain_mail(n)) for n in range(start, start + 4)))
    assert subjects_received(sink) == sorted(f"Turno {n}" for n in range(24))
    assert 1 < len(sink.peers) <= 4


async def test_a_connection_is_replaced_after_so_many_mails(smtp_settings: Settings, sink: Sink) -> None:
    async with mailer(smtp_settings, messages_per_connection=3) as out:
        for n in range(7):
            await out.send(plain_mail(n))
    assert len(sink.messages) == 7
    assert len(sink.peers) == 3


async def test_a_connection_the_server_closed_while_idle_is_replaced_and_the_mail_sent_once(
    smtp_settings: Settings, sink: Sink
) -> None:
    sink.hang_up = True
    async with mailer(smtp_settings) as out:
        for n in range(4):
            await out.send(plain_mail(n))
            await asyncio.sleep(0.1)  # the server hangs up meanwhile
    assert subjects_received(sink) == [f"Turno {n}" for n in range(4)]
    assert len(sink.peers) == 4


async def test_a_refusal_is_raised_and_the_next_mail_still_goes(smtp_settings: Settings, sink: Sink) -> None:
    async with mailer(smtp_settings) as out:
        await out.send(plain_mail(0))
        sink.refuse = True
        with pytest.raises(aiosmtplib.SMTPException, match="451"):
            await out.send(plain_mail(1))
        sink.refuse = False
        await out.send(plain_mail(2))
    assert subjects_received(sink) == ["Turno 0", "Turno 2"]


async def test_a_name_stored_with_line_breaks_still_makes_one_clean_mail(
    api: Api, admin_token: str, state: AppState, smtp_settings: Settings, sink: Sink
) -> None:
    """Inputs refuse control characters now; a name stored before they did is written on one line, and its
    mail goes out at the first try instead of failing every retry."""
    await booked(api, admin_token)
    async with state.engine.begin() as conn:
        await conn.execute(text("UPDATE bookings SET citizen_name = :n"), {"n": "Ana\r\nBcc: victim@example.org\x1b"})

    message = await delivered(smtp_settings, sink, await compose_only(state, smtp_settings, "booking.confirmation"))

    (to,) = message["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Ana Bcc: victim@example.org", "ana@example.org")
    assert message["Bcc"] is None
    assert "\n" not in subject_of(message)
