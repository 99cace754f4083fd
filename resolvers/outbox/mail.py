"""The mail an outbox row asks for: what it says is read here, as things are when it is composed, and
notifications/mail/ turns it into the message (which runs no SQL)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Select, String, Text, and_, bindparam, cast, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.settings import Settings
from core.ticket_ids import public_ticket_id
from models.agenda import slots
from models.booking import BookingStatus, booking_events, bookings
from models.catalogue import offices, services
from models.draws import draw_entries, draws
from models.queue import RemoteTicket, Ticket
from models.waitlist import waitlist_entries
from notifications.mail.compose import booking_mail, compose_booking, still_worth_sending
from notifications.mail.draws import KIND as DRAW_RESULT
from notifications.mail.draws import compose_draw_result, draw_entry_id
from notifications.mail.facts import BookingFacts
from notifications.mail.queue import KIND as HEAD_IN
from notifications.mail.queue import compose_head_in, ticket_id_of
from notifications.mail.waitlist import TEMPLATE_BY_KIND as WAITLIST_TEMPLATE_BY_KIND
from notifications.mail.waitlist import compose_waitlist, waitlist_entry_id
from notifications.outbox import OutboxRow
from resolvers.catalogue.translations import translated
from resolvers.feedback.request import request_feedback
from resolvers.rows import record_from_row


def _text(status: ColumnElement[Any], label: str) -> ColumnElement[Any]:
    # the composers compare statuses as the words they are
    return cast(status, Text).label(label)


# A ticket, when given, names the office and service actually visited (a transfer may have moved the citizen).
_b, _o, _s, _sl = bookings.c, offices.c, services.c, slots.c
_t = Ticket.__table__.c
_REVISION = (
    select(func.greatest(func.count() - 1, 0))
    .where(booking_events.c.booking_id == _b.id, booking_events.c.status == BookingStatus.BOOKED)
    .scalar_subquery()
)
# the language the facts are read in: the citizen's, unless the reader asks for another (the calendar file)
_READER = func.coalesce(bindparam("language", type_=String), _b.citizen_locale)
_FACTS = (
    select(
        _b.id,
        _b.code,
        _text(_b.status, "status"),
        _b.starts_at,
        _b.ends_at,
        _b.citizen_name,
        _b.citizen_email,
        _b.citizen_locale,
        _b.manage_nonce,
        _b.confirm_by,
        _o.name.label("office_name"),
        _o.address.label("office_address"),
        _o.timezone,
        _b.party_size,
        translated("name", _READER).label("service_name"),
        translated("required_documents", _READER).label("required_documents"),
        _REVISION.label("revision"),
    )
    .select_from(bookings.outerjoin(Ticket.__table__, and_(_t.id == bindparam("ticket_id"), _t.booking_id == _b.id)))
    .join(offices, _o.id == func.coalesce(_t.office_id, _b.office_id))
    .join(services, _s.id == func.coalesce(_t.service_id, _b.service_id))
    .where(_b.id == bindparam("booking_id"))
)


async def booking_facts(
    conn: AsyncConnection, booking_id: int, ticket_id: int | None = None, language: str | None = None
) -> BookingFacts | None:
    parameters = {"booking_id": booking_id, "ticket_id": ticket_id, "language": language}
    row = (await conn.execute(_FACTS, parameters)).mappings().first()
    return record_from_row(BookingFacts, row) if row is not None else None


_w, _e = waitlist_entries.c, draw_entries.c
_WAITLIST_ENTRY = (
    select(
        _w.id,
        _text(_w.status, "status"),
        _w.citizen_name,
        _w.citizen_email,
        _w.citizen_locale,
        _w.manage_nonce,
        _w.offer_expires_at,
        _sl.starts_at,
        _o.name.label("office_name"),
        _o.address.label("office_address"),
        _o.timezone,
        translated("name", _w.citizen_locale).label("service_name"),
    )
    .select_from(waitlist_entries)
    .join(services, _s.id == _w.service_id)
    .outerjoin(slots, _sl.id == _w.offer_slot_id)
    .outerjoin(offices, _o.id == _sl.office_id)
    .where(_w.id == bindparam("id"))
)

_DRAW_ENTRY = (
    select(
        _text(_e.status, "status"),
        _e.citizen_name,
        _e.citizen_email,
        _e.citizen_locale,
        _e.manage_nonce,
        _e.waitlist_entry_id,
        _b.code,
        _text(_b.status, "booking_status"),
        _sl.starts_at,
        _o.name.label("office_name"),
        _o.address.label("office_address"),
        _o.timezone,
        translated("name", _e.citizen_locale).label("service_name"),
    )
    .select_from(draw_entries)
    .join(draws, draws.c.id == _e.draw_id)
    .join(services, _s.id == draws.c.service_id)
    .outerjoin(bookings, _b.id == _e.booking_id)
    .outerjoin(slots, _sl.id == _e.slot_id)
    .outerjoin(offices, _o.id == _sl.office_id)
    .where(_e.id == bindparam("id"))
)


_r = RemoteTicket.__table__.c
_REMOTE_TICKET = (
    select(
        _t.id,
        _t.number,
        _text(_t.status, "status"),
        _t.remote,
        _t.remote_code,
        _r.citizen_name,
        _r.citizen_email,
        _r.citizen_locale,
        _o.name.label("office_name"),
        _o.address.label("office_address"),
        translated("name", _r.citizen_locale).label("service_name"),
    )
    .select_from(Ticket.__table__)
    .join(RemoteTicket.__table__, _r.ticket_id == _t.id)
    .join(offices, _o.id == _t.office_id)
    .join(services, _s.id == _t.service_id)
    .where(_t.id == bindparam("id"))
)


async def compose(conn: AsyncConnection, settings: Settings, row: OutboxRow) -> EmailMessage | None:
    """The citizen's mail for an outbox row, or None when the row tells the citizen nothing by mail (any more)."""
    if row.kind == HEAD_IN:
        ticket_id = ticket_id_of(row)
        if ticket_id is None:
            return None
        page = f"{settings.public_url.rstrip('/')}/ticket/{public_ticket_id(settings.secret_key, ticket_id)}"
        return compose_head_in(settings, await _entry(conn, _REMOTE_TICKET, ticket_id), page)
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


async def _entry(conn: AsyncConnection, query: Select[Any], entry_id: int) -> RowMapping | None:
    found: RowMapping | None = (await conn.execute(query, {"id": entry_id})).mappings().first()
    return found
