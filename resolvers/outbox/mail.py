"""The mail an outbox row asks for: what it says is read here, as things are when it is composed, and
notifications/mail/ turns it into the message (which runs no SQL)."""

from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy import RowMapping, TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.settings import Settings
from notifications.mail.compose import booking_mail, compose_booking, still_worth_sending
from notifications.mail.draws import KIND as DRAW_RESULT
from notifications.mail.draws import compose_draw_result, draw_entry_id
from notifications.mail.facts import BookingFacts
from notifications.mail.waitlist import TEMPLATE_BY_KIND as WAITLIST_TEMPLATE_BY_KIND
from notifications.mail.waitlist import compose_waitlist, waitlist_entry_id
from notifications.outbox import OutboxRow
from resolvers.feedback.request import request_feedback

# A ticket, when given, names the office and service actually visited (a transfer may have moved the citizen).
_FACTS = text("""
    SELECT b.id, b.code, b.status::text AS status, b.starts_at, b.ends_at, b.citizen_name, b.citizen_email,
           b.citizen_locale, b.manage_nonce, b.confirm_by, o.name AS office_name, o.address AS office_address,
           o.timezone, b.party_size,
           s.name AS service_name, s.required_documents,
           (SELECT greatest(count(*) - 1, 0) FROM booking_events e
            WHERE e.booking_id = b.id AND e.status = 'BOOKED') AS revision
    FROM bookings b
    LEFT JOIN tickets t ON t.id = :ticket_id AND t.booking_id = b.id
    JOIN offices o ON o.id = coalesce(t.office_id, b.office_id)
    JOIN services s ON s.id = coalesce(t.service_id, b.service_id)
    WHERE b.id = :booking_id
""")


async def booking_facts(conn: AsyncConnection, booking_id: int, ticket_id: int | None = None) -> BookingFacts | None:
    row = (await conn.execute(_FACTS, {"booking_id": booking_id, "ticket_id": ticket_id})).mappings().first()
    return BookingFacts.from_row(row) if row is not None else None


_WAITLIST_ENTRY = text("""
    SELECT w.id, w.status::text AS status, w.citizen_name, w.citizen_email, w.citizen_locale, w.manage_nonce,
           w.offer_expires_at, sl.starts_at, o.name AS office_name, o.address AS office_address, o.timezone,
           s.name AS service_name
    FROM waitlist_entries w
    JOIN services s ON s.id = w.service_id
    LEFT JOIN slots sl ON sl.id = w.offer_slot_id
    LEFT JOIN offices o ON o.id = sl.office_id
    WHERE w.id = :id
""")


_DRAW_ENTRY = text("""
    SELECT e.status::text AS status, e.citizen_name, e.citizen_email, e.citizen_locale, e.manage_nonce,
           e.waitlist_entry_id, b.code, b.status::text AS booking_status,
           sl.starts_at, o.name AS office_name, o.address AS office_address,
           o.timezone, s.name AS service_name
    FROM draw_entries e
    JOIN draws d ON d.id = e.draw_id
    JOIN services s ON s.id = d.service_id
    LEFT JOIN bookings b ON b.id = e.booking_id
    LEFT JOIN slots sl ON sl.id = e.slot_id
    LEFT JOIN offices o ON o.id = sl.office_id
    WHERE e.id = :id
""")


async def compose(conn: AsyncConnection, settings: Settings, row: OutboxRow) -> EmailMessage | None:
    """The citizen's mail for an outbox row, or None when the row tells the citizen nothing by mail (any more)."""
    if row.kind in WAITLIST_TEMPLATE_BY_KIND:
        waitlist_id = waitlist_entry_id(row)
        if waitlist_id is None:
            return None
        return compose_waitlist(settings, row, waitlist_id, await _entry(conn, _WAITLIST_ENTRY, waitlist_id))
    if row.kind == DRAW_RESULT:
        draw_id = draw_entry_id(row)
        if draw_id is None:
            return None
        return compose_draw_result(settings, await _entry(conn, _DRAW_ENTRY, draw_id))
    mail = booking_mail(row)
    if mail is None:
        return None
    facts = await booking_facts(conn, mail.booking_id, mail.ticket_id)
    if facts is None or not still_worth_sending(mail, facts):
        return None
    feedback_token = None
    if mail.ticket_id is not None:
        feedback_token = await request_feedback(conn, settings.secret_key, mail.ticket_id)
        if feedback_token is None:
            return None
    return compose_booking(settings, mail, row, facts, feedback_token)


async def _entry(conn: AsyncConnection, query: TextClause, entry_id: int) -> RowMapping | None:
    return (await conn.execute(query, {"id": entry_id})).mappings().first()
