"""Who may book through which channel, and who may read or change an existing booking (and until when)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import InvalidStateError, NotAllowedError
from core.messages import msg
from models.accounts import Role
from models.booking import BOOKINGS_READ, BOOKINGS_WRITE, Channel
from resolvers.accounts.viewer import Viewer
from resolvers.booking.records import BookingRecord

CITIZEN_CHANNELS = (Channel.WEB, Channel.MOBILE)
# the channels that may take the seats an agenda keeps (reservedSeats) until shortly before the slot
RESERVED_CHANNELS = (Channel.PHONE, Channel.DESK)


def booking_channel(viewer: Viewer, requested: Channel, office_id: int) -> Channel:
    """The channel a booking is recorded under; NotAllowed when this caller cannot book that way.

    Staff and partners are recorded by what they are, whatever the client sent as the (WEB) default:
    a call-centre operator books by PHONE, a clerk at the DESK, a partner application as PARTNER.
    """
    if viewer.partner_id is not None:
        if BOOKINGS_WRITE not in viewer.partner_scopes:
            raise NotAllowedError(msg("This API key may not book: it lacks the {scope} scope.", scope=BOOKINGS_WRITE))
        if requested not in (Channel.WEB, Channel.PARTNER):
            raise NotAllowedError("A partner application books through the PARTNER channel.")
        return Channel.PARTNER
    if viewer.device_kind is not None:
        raise NotAllowedError("Kiosks and displays do not book; they check bookings in.")
    if viewer.is_staff:
        channel = requested
        if requested is Channel.WEB:
            channel = Channel.PHONE if viewer.has_role(office_id, Role.OPERATOR) else Channel.DESK
        roles = {Channel.PHONE: (Role.OPERATOR, Role.MANAGER), Channel.DESK: (Role.CLERK, Role.MANAGER)}
        if channel not in roles or not viewer.has_role(office_id, *roles[channel]):
            raise NotAllowedError("You cannot book at this office through this channel.")
        return channel
    if requested not in CITIZEN_CHANNELS:
        raise NotAllowedError("Citizens book on the web or in the app.")
    return requested


def may_use_reserved(viewer: Viewer, office_id: int) -> bool:
    """Staff who may book at this office by PHONE or DESK (booking_channel) may take the seats kept for them."""
    return viewer.is_staff and viewer.has_role(office_id, Role.OPERATOR, Role.CLERK, Role.MANAGER)


def may_manage_without_token(viewer: Viewer, booking: BookingRecord, scope: str = BOOKINGS_READ) -> bool:
    """Staff of the booking's office, or the partner application that made it with a key holding `scope`
    (bookings:read to read it, bookings:write to change it)."""
    if viewer.partner_id is not None:
        return booking.partner_id == viewer.partner_id and scope in viewer.partner_scopes
    return viewer.is_staff and viewer.has_role(booking.office_id, Role.OPERATOR, Role.CLERK, Role.MANAGER)


def actor_channel(viewer: Viewer) -> Channel | None:
    """The channel a change by this caller came through (citizens' changes carry none: web or app alike)."""
    if viewer.partner_id is not None:
        return Channel.PARTNER
    if viewer.is_staff:
        return Channel.PHONE if any(g.role is Role.OPERATOR for g in viewer.grants) else Channel.DESK
    return None


_NOW = select(func.now())


async def ensure_not_begun(conn: AsyncConnection, booking: BookingRecord) -> None:
    """A booking is cancelled or moved only before its appointment begins (by the database's clock)."""
    now = (await conn.execute(_NOW)).scalar_one()
    if booking.starts_at <= now:
        raise InvalidStateError("This appointment has already begun or passed.")
