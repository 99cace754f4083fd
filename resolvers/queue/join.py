"""Joining an office's line from home (`joinQueue`). Who waits outside and when they are told to come in:
resolvers/queue/remote.py; coming in with the ticket's code: resolvers/queue/come_in.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import (
    InvalidStateError,
    InvalidStateReason,
    LimitExceededError,
    NotAllowedError,
    NotFoundError,
    ValidationFailed,
)
from core.inputs import Doc, Id
from core.messages import msg
from core.validation import parse_id
from models.catalogue import Office, OfficeService, OpeningHours, Service
from models.queue import RemoteOrigin
from resolvers import idempotency
from resolvers.accounts.viewer import Viewer
from resolvers.booking.challenge import ChallengeGate
from resolvers.booking.citizen import ContactInput, contact
from resolvers.queue import log, tickets
from resolvers.queue.arrival import _announce as announce  # the estimate stored at issue and ISSUED, as walk-ins
from resolvers.queue.records import QueueChange
from resolvers.queue.remote import lock_line, make_remote, open_ticket_of


@dataclass(frozen=True, slots=True, kw_only=True)
class JoinQueueRequest:
    """A place in an office's line from wherever the citizen is; they come in when told (Office.remoteQueue)."""

    office_id: Id
    service_id: Id
    citizen: Annotated[ContactInput, Doc("How to tell them to come in: a name and an e-mail address or a phone.")]
    idempotency_key: Annotated[str | None, Doc("A retry with the same key gets the same ticket.")] = None
    challenge: Annotated[
        str | None, Doc("A solved bookingChallenge, where the procedure's challengePolicy asks for one.")
    ] = None


_OFFICE = select(Office.id, Office.name, Office.timezone, Office.remote_queue)
_SERVICE = select(
    Service.id,
    Service.name,
    Service.walk_in_allowed,
    Service.ticket_prefix,
    exists()
    .where(OfficeService.office_id == bindparam("office_id"), OfficeService.service_id == Service.id)
    .label("offered"),
)
_HOURS = select(OpeningHours.weekday, OpeningHours.opens, OpeningHours.closes)


async def open_now(conn: AsyncConnection, office_id: int, timezone: str, now: datetime) -> bool:
    """Within one of the office's opening intervals on its own clock; an office without opening hours is not
    restricted by them (as slots are not)."""
    hours = (await conn.execute(_HOURS.where(OpeningHours.office_id == office_id))).all()
    if not hours:
        return True
    local = now.astimezone(ZoneInfo(timezone))
    return any(h.weekday == local.isoweekday() and h.opens <= local.time() < h.closes for h in hours)


async def join_queue(
    conn: AsyncConnection, viewer: Viewer, secret_key: bytes, request: JoinQueueRequest, gate: ChallengeGate
) -> QueueChange:
    office_pk = parse_id(request.office_id)
    office = (await conn.execute(_OFFICE.where(Office.id == office_pk))).first() if office_pk else None
    if office is None:
        raise NotFoundError("No office has this ID.")
    if not office.remote_queue:
        raise NotAllowedError(
            msg("{office} does not take people into its line from home: come to the office.", office=office.name)
        )
    service_pk = parse_id(request.service_id)
    service = (
        (await conn.execute(_SERVICE.where(Service.id == service_pk), {"office_id": office.id})).first()
        if service_pk
        else None
    )
    if service is None:
        raise NotFoundError("No service has this ID.")
    if not service.offered:
        raise ValidationFailed(
            "serviceId", msg("{office} does not offer {service}.", office=office.name, service=service.name)
        )
    if not service.walk_in_allowed:
        raise InvalidStateError(
            msg("{service} needs an appointment; book one on the web or by phone.", service=service.name),
            reason=InvalidStateReason.APPOINTMENT_REQUIRED,
        )
    person = contact(secret_key, request.citizen)
    email_hash, phone_hash = person["email_hash"], person["phone_hash"]
    assert isinstance(email_hash, bytes | None)
    assert isinstance(phone_hash, bytes | None)
    now = (await conn.execute(select(func.now()))).scalar_one()
    if not await open_now(conn, office.id, office.timezone, now):
        raise InvalidStateError(
            msg("{office} is closed now: join its line while it is open.", office=office.name),
            reason=InvalidStateReason.OFFICE_CLOSED,
        )
    scope = idempotency.contact_scope(viewer, secret_key, email_hash or phone_hash or b"")
    if request.idempotency_key is not None:
        fingerprint = idempotency.request_hash("joinQueue", office=office.id, service=service.id)
        stored = await idempotency.claim(conn, scope, request.idempotency_key, "joinQueue", fingerprint)
        if stored is not None:  # a retry of a join that went through: its ticket, no second challenge
            found = await tickets.ticket(conn, int(stored["ticket_id"]))
            assert found is not None
            return QueueChange(ticket=found)
    # a refusal rolls the claimed key back with everything else: the retry with a solution may use it
    await gate(conn, service.id)
    held = await open_ticket_of(conn, email_hash, phone_hash)
    if held is not None:
        raise LimitExceededError(
            msg("This person (by e-mail or phone) already holds ticket {ticket} in a line: one at a time.", ticket=held)
        )
    await lock_line(conn, office.id)
    ticket_id = await log.new_ticket(
        conn,
        office_id=office.id,
        timezone=office.timezone,
        service_id=service.id,
        prefix=service.ticket_prefix,
        at=now,
        due_at=now,
    )
    await make_remote(conn, ticket_id, RemoteOrigin.HOME, person)
    change = await announce(conn, ticket_id, office.id)
    if request.idempotency_key is not None:
        await idempotency.remember(conn, scope, request.idempotency_key, {"ticket_id": ticket_id})
    return change
