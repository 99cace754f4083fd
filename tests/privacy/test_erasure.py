"""Issue 17 part 2, done when: eraseCitizen leaves no trace of the person in any table or mail file, and their
future booking is cancelled with the usual cancellation mail (a real SMTP server)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from core.runtime import AppState
from core.settings import Settings
from notifications.mail.files import mail_dir, readable_text
from notifications.mail.transport import write_eml
from realtime.live import LiveQueue
from resolvers.booking import identity
from resolvers.booking.citizen import document_hash, phone_e164
from server.app import create_app
from tests.support.api import Api
from tests.support.booking import ANA, BOOK, bookable_slots, citizen, scalar
from tests.support.mail_sink import Sink, smtp_sink

NAME, EMAIL, PHONE = "Ana Pérez", "ana@example.org", "351 555-1234"
ERASE = """mutation($d: String, $e: String, $p: String) { eraseCitizen(documentId: $d, email: $e, phone: $p) {
    __typename ... on ErasureReport { bookings companions tickets feedback waitlistEntries drawEntries mailFiles
    cancelledBookings } ... on ValidationError { field message } ... on UserError { code message } } }"""


@pytest.fixture
def sink() -> Iterator[Sink]:
    with smtp_sink() as running:
        yield running


@pytest.fixture
async def mailing_api(state: AppState, live_queue: LiveQueue, settings: Settings, sink: Sink) -> AsyncIterator[Api]:
    """The API of a server that sends its mail to the sink."""
    mailing = settings.model_copy(update={"smtp_url": sink.url})
    app = create_app(mailing)
    app.state.turnero = dataclasses.replace(state, settings=mailing)
    app.state.live_queue = live_queue
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://turnero.test") as http:
        yield Api(http)


async def _execute(state: AppState, sql: str, **values: Any) -> None:
    async with state.engine.begin() as conn:
        await conn.execute(text(sql), values)


async def her_past(state: AppState, settings: Settings, other_booking: int) -> None:
    """Ana's history, as other paths leave it: a past visit with a ticket, a comment, a note and a remote ticket; a
    place in a waitlist by her document; a draw entry by her e-mail alone (found through the e-mail her bookings
    carry); and a seat as someone else's companion."""
    key = settings.secret_key
    e164 = phone_e164(PHONE)
    assert e164 is not None
    keys: dict[str, Any] = {
        "doc": document_hash(key, ANA),
        "email_hash": identity.email_hash(key, EMAIL),
        "phone_hash": identity.phone_hash(key, e164),
        "name": NAME,
        "email": EMAIL,
        "phone": e164,
    }
    await _execute(
        state,
        """INSERT INTO bookings (code, status, slot_id, office_id, service_id, starts_at, ends_at, channel,
               citizen_name, citizen_email, citizen_phone, document_hash, document_hint, email_hash, phone_hash,
               notes, manage_nonce, manage_token_hash)
           SELECT 'PASTCXDE', 'COMPLETED', slot_id, office_id, service_id, starts_at - interval '30 days',
                  ends_at - interval '30 days', 'WEB', :name, :email, :phone, :doc, '***3456', :email_hash,
                  :phone_hash, 'Llamar a Ana Pérez al 351 555-1234', manage_nonce, sha256(manage_token_hash)
           FROM bookings WHERE id = :other""",
        other=other_booking,
        **keys,
    )
    keys["past"] = await scalar(state, "SELECT id FROM bookings WHERE code = 'PASTCXDE'")
    keys["other"] = other_booking
    for statement in HER_PAST:
        await _execute(state, statement, **keys)


# her other records, each statement taking what it needs of the keys
HER_PAST = (
    "INSERT INTO booking_events (booking_id, status, actor, note) VALUES (:past, 'CANCELLED', 'citizen', "
    "'Le avisé a Ana Pérez')",
    """INSERT INTO tickets (office_id, service_id, booking_id, number, day, day_number, priority, status, due_at,
           issued_at, note, remote)
       SELECT office_id, service_id, id, 'A-001', CAST(starts_at AS date), 1, 'STANDARD', 'DONE', starts_at,
              starts_at, 'Viene con Ana Pérez', true FROM bookings WHERE id = :past""",
    # the desk transferred her to another procedure: a new ticket pointing back, without the booking
    """INSERT INTO tickets (office_id, service_id, number, day, day_number, priority, status, due_at, issued_at,
           note, previous_ticket_id)
       SELECT office_id, service_id, 'B-001', day, 2, 'STANDARD', 'DONE', due_at, issued_at,
              'Transferida: Ana Pérez', id FROM tickets WHERE booking_id = :past""",
    """INSERT INTO remote_tickets (ticket_id, origin, citizen_name, citizen_email, citizen_phone, email_hash)
       SELECT id, 'HOME', :name, :email, :phone, :email_hash FROM tickets WHERE booking_id = :past""",
    """INSERT INTO feedback (ticket_id, booking_id, office_id, service_id, token_nonce, token_hash, rating, comment)
       SELECT id, booking_id, office_id, service_id, '\\x00', sha256(convert_to(CAST(id AS text), 'UTF8')), 5,
              'Gracias, Ana Pérez' FROM tickets WHERE booking_id = :past""",
    """INSERT INTO waitlist_entries (service_id, from_date, to_date, status, citizen_name, citizen_email,
           document_hash, document_hint, manage_nonce, manage_token_hash)
       SELECT service_id, CAST(now() AS date), CAST(now() AS date) + 30, 'WAITING', :name, :email, :doc, '***3456',
              '\\x01', sha256(convert_to('w', 'UTF8')) FROM bookings WHERE id = :other""",
    """INSERT INTO draws (service_id, opens_at, closes_at) SELECT service_id, now(), now() + interval '1 day'
       FROM bookings WHERE id = :other""",
    """INSERT INTO draw_entries (draw_id, from_date, to_date, citizen_name, citizen_email, citizen_phone,
           document_hash, document_hint, email_hash, manage_nonce, manage_token_hash)
       SELECT id, CAST(now() AS date), CAST(now() AS date) + 30, :name, :email, :phone,
              sha256(convert_to('another document', 'UTF8')), '***9999', :email_hash, '\\x02',
              sha256(convert_to('d', 'UTF8')) FROM draws""",
    """INSERT INTO booking_companions (booking_id, position, name, document_hash, document_hint)
       VALUES (:other, 1, :name, :doc, '***3456')""",
)


def mail_file(settings: Settings, to: str, body: str) -> str:
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = "Tu turno"
    message.set_content(body)  # utf-8, quoted-printable or base64: found once decoded
    return write_eml(mail_dir(settings.data_dir), message).name


async def traces(state: AppState, needles: list[str]) -> list[str]:
    """Every text, character, json and array column of every table that holds any of the strings."""
    found = []
    async with state.engine.connect() as conn:
        columns = (
            await conn.execute(
                text("""SELECT table_name, column_name FROM information_schema.columns
                        WHERE table_schema = 'public'
                          AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY')""")
            )
        ).all()
        assert len(columns) > 50, columns  # every table's, not a handful
        for table, column in columns:
            for needle in needles:
                hits = (
                    await conn.execute(
                        text(f'SELECT count(*) FROM "{table}" WHERE CAST("{column}" AS text) ILIKE :needle'),
                        {"needle": f"%{needle}%"},
                    )
                ).scalar_one()
                if hits:
                    found.append(f"{table}.{column}: {needle}")
    return found


def file_traces(settings: Settings, needles: list[str]) -> list[str]:
    found: list[str] = []
    for path in mail_dir(settings.data_dir).glob("*.eml"):
        content = readable_text(path.read_bytes()).casefold()
        found.extend(f"{path.name}: {needle}" for needle in needles if needle.casefold() in content)
    return found


async def test_erase_citizen_leaves_no_trace_and_cancels_her_future_booking_with_a_mail(
    mailing_api: Api, state: AppState, settings: Settings, sink: Sink
) -> None:
    # the mail folder is the suite's data dir, shared with other test modules (and workers): a file of hers another
    # test left there would be erased and counted too, and the count below is of this test's files only. Only
    # files that hold her name or address go: other modules' files there are theirs to check
    for stray in mail_dir(settings.data_dir).glob("*.eml"):
        content = readable_text(stray.read_bytes()).casefold()
        if NAME.casefold() in content or EMAIL in content:
            stray.unlink(missing_ok=True)
    api = mailing_api
    admin = await api.make_admin(state)
    slot_ids = await bookable_slots(api, admin, capacity=2)
    mine = await book(api, slot_ids[0])
    assert mine["__typename"] == "BookingConfirmation", mine
    other = await api.run(
        BOOK,
        {"i": {"slotId": slot_ids[0], "citizen": citizen("40111222", name="Bruno Díaz", phone="351 444-9876")}},
    )
    assert other["book"]["__typename"] == "BookingConfirmation", other
    await her_past(state, settings, int(other["book"]["booking"]["id"]))
    e164 = phone_e164(PHONE)
    assert e164 is not None
    needles = [NAME, "ana perez", EMAIL, e164, "555-1234", "5551234"]
    hers = mail_file(settings, f"{NAME} <{EMAIL}>", f"Hola {NAME}, tu turno es mañana.")
    his = mail_file(settings, "Bruno Díaz <bruno@example.org>", "Hola Bruno, tu turno es mañana.")
    assert await traces(state, needles), "the set-up holds her data"

    result = (await api.run(ERASE, {"d": "30.123.456"}, admin))["eraseCitizen"]

    assert result == {
        "__typename": "ErasureReport",
        "bookings": 2,
        "companions": 1,
        "tickets": 2,
        "feedback": 1,
        "waitlistEntries": 1,
        "drawEntries": 1,
        "mailFiles": 1,
        "cancelledBookings": 1,
    }
    assert await traces(state, needles) == []
    assert file_traces(settings, needles) == []
    names = {path.name for path in mail_dir(settings.data_dir).glob("*.eml")}
    assert hers not in names
    assert his in names
    # her future booking was cancelled the usual way: seat back, history, and the cancellation mail to her
    booking = await scalar(state, "SELECT status FROM bookings WHERE id = :id", id=int(mine["booking"]["id"]))
    assert booking == "CANCELLED"
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(slot_ids[0])) == 1
    assert len(sink.messages) == 1
    sent = sink.messages[0]
    assert EMAIL in str(sent["To"])
    assert "cancel" in readable_text(sent.as_bytes()).lower()
    # the other person keeps everything
    assert await scalar(state, "SELECT count(*) FROM bookings WHERE citizen_name = 'Bruno Díaz'") == 1
    # a second erasure finds nothing more
    again = (await api.run(ERASE, {"e": EMAIL}, admin))["eraseCitizen"]
    assert again["bookings"] == 0
    assert again["cancelledBookings"] == 0


async def book(api: Api, slot_id: str) -> dict[str, Any]:
    data = await api.run(BOOK, {"i": {"slotId": slot_id, "citizen": citizen()}})
    result: dict[str, Any] = data["book"]
    return result


async def test_erase_citizen_names_the_missing_or_wrong_field_and_is_for_admins(api: Api, state: AppState) -> None:
    admin = await api.make_admin(state)
    nothing = (await api.run(ERASE, {}, admin))["eraseCitizen"]
    assert nothing["__typename"] == "ValidationError"
    assert nothing["field"] == "documentId"
    wrong = (await api.run(ERASE, {"e": "not an address"}, admin))["eraseCitizen"]
    assert (wrong["__typename"], wrong["field"]) == ("ValidationError", "email")
    wrong_phone = (await api.run(ERASE, {"p": "12"}, admin))["eraseCitizen"]
    assert (wrong_phone["__typename"], wrong_phone["field"]) == ("ValidationError", "phone")
    clerk = await api.staff_token(admin, "clerk", "CLERK", await api.office(admin))
    refused = (await api.run(ERASE, {"d": ANA}, clerk))["eraseCitizen"]
    assert refused["__typename"] == "NotAllowed"
    anonymous = (await api.run(ERASE, {"d": ANA}))["eraseCitizen"]
    assert anonymous["__typename"] == "NotAllowed"


async def test_a_refused_cancellation_mail_erases_nothing(mailing_api: Api, state: AppState, sink: Sink) -> None:
    """The mail needs the address the erasure clears: when it cannot go, the whole erasure waits for a retry."""
    api = mailing_api
    admin = await api.make_admin(state)
    slot_ids = await bookable_slots(api, admin)
    mine = await book(api, slot_ids[0])
    assert mine["__typename"] == "BookingConfirmation", mine
    sink.refuse = True

    refused = (await api.run(ERASE, {"p": PHONE}, admin))["eraseCitizen"]

    assert refused["__typename"] == "InvalidState", refused
    row = await scalar(
        state, "SELECT status || ' ' || citizen_email FROM bookings WHERE id = :id", id=int(mine["booking"]["id"])
    )
    assert row == f"BOOKED {EMAIL}"
    sink.refuse = False
    done = (await api.run(ERASE, {"p": PHONE}, admin))["eraseCitizen"]
    assert (done["__typename"], done["cancelledBookings"]) == ("ErasureReport", 1)
    assert len(sink.messages) == 1
