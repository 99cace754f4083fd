"""eraseCitizen: every record of one person anonymised at once, on their request (GDPR art. 17).

The person is whoever the document number, e-mail or phone given names, through the keyed hashes limits match
by and the plain columns; the keys found on their records (the e-mail on a booking made with their document)
name them too, one round further, so a record made with another of their keys is not missed.

Their future bookings are cancelled through the ordinary cancellation (cancel.py: the seats go to the waitlist,
the partner's webhook is queued), and the cancellation mail is composed and sent here, inside the erasure's
transaction and before it commits: the mail needs the address the erasure is about to clear. Sending fails,
nothing is erased (the transaction rolls back) and the admin tries again; it succeeds, the erasure commits.
The outbox row stays PENDING for the partners' webhooks: once the worker claims it, the booking has no address
left and no second mail goes. Mail files that mention the person are deleted before the cancellation mail is
sent, so with the file transport its own `.eml` stays, and goes with the retention of mail files.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    LargeBinary,
    String,
    Table,
    and_,
    any_,
    delete,
    false,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import InvalidStateError, ValidationFailed
from core.messages import msg
from core.settings import Settings
from models.booking import ACTIVE_BOOKING_STATUSES, booking_companions, bookings, idempotency_keys, outbox
from models.draws import DrawEntryStatus, draw_entries
from models.waitlist import WaitlistStatus, waitlist_entries
from notifications.mail.files import delete_mentioning, mail_dir
from notifications.mail.transport import mailer
from notifications.outbox import OutboxRow
from resolvers.accounts.viewer import Viewer
from resolvers.booking import cancel, identity
from resolvers.booking.citizen import document_hash, document_number, email_address, phone_e164
from resolvers.booking.freed_seats import OfferTiming
from resolvers.outbox.mail import compose
from resolvers.privacy import anonymise
from resolvers.privacy.anonymise import feedback, remote_tickets, tickets
from resolvers.sql import any_id

# an erasure's keys, in the order the fields are checked
FIELDS = ("documentId", "email", "phone")


@dataclass(frozen=True, slots=True)
class ErasureReport:
    """Counts only: the result names no one."""

    bookings: int
    companions: int
    tickets: int
    feedback: int
    waitlist_entries: int
    draw_entries: int
    mail_files: int
    cancelled_bookings: int


@dataclass(slots=True)
class Person:
    """Everything that names them: the keyed hashes to match rows by, and the plain strings to look for in mail."""

    documents: set[bytes] = field(default_factory=set)
    emails: set[bytes] = field(default_factory=set)
    phones: set[bytes] = field(default_factory=set)
    plain_emails: set[str] = field(default_factory=set)
    plain_phones: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)

    def strings(self) -> set[str]:
        return self.plain_emails | self.plain_phones | self.names


def person(secret_key: bytes, document_id: str | None, email: str | None, phone: str | None) -> Person:
    """The keys given, checked and normalised as `book` does; at least one."""
    found = Person()
    if document_id is not None and document_id.strip():
        found.documents.add(document_hash(secret_key, document_number(document_id, "documentId")))
    address = email_address(email, "email")
    if address is not None:
        found.emails.add(identity.email_hash(secret_key, address))
        found.plain_emails.add(address.lower())
    number = phone_e164(phone, "phone")
    if number is not None:
        found.phones.add(identity.phone_hash(secret_key, number))
        found.plain_phones.add(number)
    if not (found.documents or found.emails or found.phones):
        raise ValidationFailed("documentId", msg("Give a document number, an e-mail address or a phone number."))
    return found


def _any_of(values: set[bytes] | set[str], kind: type[LargeBinary] | type[String]) -> ColumnElement[Any]:
    """`= ANY(:values)`: one array parameter (an empty one matches nothing)."""
    return any_(literal(sorted(values), ARRAY(kind())))


def _hashes(who: Person, table: Table, document: bool = True) -> list[ColumnElement[bool]]:
    matches = [
        table.c.email_hash == _any_of(who.emails, LargeBinary),
        table.c.phone_hash == _any_of(who.phones, LargeBinary),
    ]
    if document:
        matches.append(table.c.document_hash == _any_of(who.documents, LargeBinary))
    return matches


def _contact(who: Person, table: Table) -> list[ColumnElement[bool]]:
    return [
        func.lower(table.c.citizen_email) == _any_of(who.plain_emails, String),
        table.c.citizen_phone == _any_of(who.plain_phones, String),
    ]


def _matching(who: Person, table: Table, document: bool = True) -> ColumnElement[bool]:
    contact = _contact(who, table) if "citizen_email" in table.c else []
    return or_(false(), *_hashes(who, table, document), *contact)


@dataclass(slots=True)
class Records:
    bookings: list[int] = field(default_factory=list)
    future: list[tuple[int, str]] = field(default_factory=list)
    companions: list[int] = field(default_factory=list)
    remote_tickets: list[int] = field(default_factory=list)
    waitlist_entries: list[int] = field(default_factory=list)
    live_waitlist_entries: list[int] = field(default_factory=list)
    draw_entries: list[int] = field(default_factory=list)


def _learn(who: Person, row: object) -> None:
    """The keys and strings a matched record adds to what names the person."""
    values = dict(row._mapping)  # type: ignore[attr-defined]
    for column, keys in (("document_hash", who.documents), ("email_hash", who.emails), ("phone_hash", who.phones)):
        if values.get(column) is not None:
            keys.add(bytes(values[column]))
    for column, strings in (("citizen_email", who.plain_emails), ("citizen_phone", who.plain_phones)):
        if values.get(column):
            strings.add(str(values[column]).lower())
    for column in ("citizen_name", "name"):
        if values.get(column):
            who.names.add(str(values[column]))


async def _find(conn: AsyncConnection, who: Person) -> Records:
    found = Records()
    b, c, w, d, r = bookings.c, booking_companions.c, waitlist_entries.c, draw_entries.c, remote_tickets.c
    person_columns = ("citizen_name", "citizen_email", "citizen_phone", "document_hash", "email_hash", "phone_hash")
    rows = await conn.execute(
        select(b.id, b.code, b.status, b.starts_at, *(b[name] for name in person_columns))
        .where(_matching(who, bookings), b.anonymised_at.is_(None))
        .with_for_update()
    )
    now = datetime.now(UTC)
    for row in rows:
        _learn(who, row)
        found.bookings.append(row.id)
        if row.status in ACTIVE_BOOKING_STATUSES and row.starts_at > now:
            found.future.append((row.id, row.code))
    for row in await conn.execute(
        select(c.id, c.name, c.document_hash, c.email_hash, c.phone_hash).where(_matching(who, booking_companions))
    ):
        _learn(who, row)
        found.companions.append(row.id)
    for row in await conn.execute(
        select(w.id, w.status, *(w[name] for name in person_columns))
        .where(_matching(who, waitlist_entries), w.anonymised_at.is_(None))
        .with_for_update()
    ):
        _learn(who, row)
        found.waitlist_entries.append(row.id)
        if row.status in (WaitlistStatus.WAITING, WaitlistStatus.OFFERED):
            found.live_waitlist_entries.append(row.id)
    for row in await conn.execute(
        select(d.id, *(d[name] for name in person_columns))
        .where(_matching(who, draw_entries), d.anonymised_at.is_(None))
        .with_for_update()
    ):
        _learn(who, row)
        found.draw_entries.append(row.id)
    for row in await conn.execute(
        select(r.ticket_id, r.citizen_name, r.citizen_email, r.citizen_phone, r.email_hash, r.phone_hash)
        .where(_matching(who, remote_tickets, document=False))
        .with_for_update()
    ):
        _learn(who, row)
        found.remote_tickets.append(row.ticket_id)
    return found


async def _tickets_of(conn: AsyncConnection, found: Records) -> list[int]:
    """Their bookings' tickets and their remote tickets, and the tickets those were transferred to (a transfer
    is a new ticket pointing back at the one it came from)."""
    t = tickets.c
    ids = set(
        (
            await conn.execute(
                select(t.id).where(or_(t.booking_id == any_id(found.bookings), t.id == any_id(found.remote_tickets)))
            )
        ).scalars()
    )
    while True:
        following = set((await conn.execute(select(t.id).where(t.previous_ticket_id == any_id(sorted(ids))))).scalars())
        if following <= ids:
            return sorted(ids)
        ids |= following


async def _cancellation_mails(
    conn: AsyncConnection, settings: Settings, viewer: Viewer, future: Sequence[tuple[int, str]]
) -> list[EmailMessage]:
    """Each future booking cancelled the usual way, and its mail composed while the address is still there."""
    timing = OfferTiming.from_settings(settings)
    mails = []
    for booking_id, code in future:
        await cancel.cancel(conn, viewer, settings.secret_key, code, None, None, timing)
        row = (
            await conn.execute(
                select(outbox.c.id, outbox.c.kind, outbox.c.booking_id, outbox.c.payload, outbox.c.attempts)
                .where(outbox.c.booking_id == booking_id, outbox.c.kind == "booking.cancellation")
                .order_by(outbox.c.id.desc())
                .limit(1)
            )
        ).one()
        message = await compose(conn, settings, OutboxRow(row.id, row.kind, row.booking_id, dict(row.payload), 0))
        if message is not None:
            mails.append(message)
    return mails


async def _send(settings: Settings, mails: Sequence[EmailMessage]) -> None:
    if not mails:
        return
    try:
        async with mailer(settings) as out:
            for message in mails:
                await out.send(message)
    except Exception as error:
        raise InvalidStateError(
            msg("The cancellation mail could not be sent, so nothing was erased: try again later.")
        ) from error


async def erase(
    conn: AsyncConnection,
    viewer: Viewer,
    settings: Settings,
    document_id: str | None,
    email: str | None,
    phone: str | None,
) -> ErasureReport:
    viewer.require_admin()
    who = person(settings.secret_key, document_id, email, phone)
    # twice: the second round finds what the keys learnt on the first one's records match
    await _find(conn, who)
    found = await _find(conn, who)
    mails = await _cancellation_mails(conn, settings, viewer, found.future)
    # a live place in a waitlist ends with the person (its offer's hold lapses on its own)
    await conn.execute(
        waitlist_entries.update()
        .where(waitlist_entries.c.id == any_id(found.live_waitlist_entries))
        .values(status=WaitlistStatus.LEFT)
    )
    await conn.execute(
        draw_entries.update()
        .where(draw_entries.c.id == any_id(found.draw_entries), draw_entries.c.status == DrawEntryStatus.ENTERED)
        .values(status=DrawEntryStatus.WITHDRAWN)
    )
    ticket_ids = await _tickets_of(conn, found)
    feedback_ids = list(
        (
            await conn.execute(
                select(feedback.c.id).where(
                    or_(feedback.c.booking_id == any_id(found.bookings), feedback.c.ticket_id == any_id(ticket_ids))
                )
            )
        ).scalars()
    )
    k = idempotency_keys.c
    await conn.execute(
        delete(idempotency_keys).where(
            or_(
                and_(
                    k.result.has_key("booking_id"),
                    k.result["booking_id"].astext.cast(BigInteger) == any_id(found.bookings),
                ),
                and_(
                    k.result.has_key("ticket_id"), k.result["ticket_id"].astext.cast(BigInteger) == any_id(ticket_ids)
                ),
            )
        )
    )
    report = ErasureReport(
        bookings=await anonymise.bookings_of(conn, found.bookings),
        companions=await anonymise.companions_of(conn, found.companions),
        tickets=await anonymise.tickets_of(conn, ticket_ids),
        feedback=await anonymise.feedback_of(conn, feedback_ids),
        waitlist_entries=await anonymise.waitlist_entries_of(conn, found.waitlist_entries),
        draw_entries=await anonymise.draw_entries_of(conn, found.draw_entries),
        mail_files=await asyncio.to_thread(delete_mentioning, mail_dir(settings.data_dir), who.strings()),
        cancelled_bookings=len(found.future),
    )
    await _send(settings, mails)
    return report
