"""Taking credentials back: device tokens, partner keys, staff users. Each ends at once on HTTP (authentication
reads the row on every request) and on open websockets within seconds (server/ws_sessions.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import ReturningUpdate

from core.errors import NotAllowedError, NotFoundError
from core.validation import parse_id
from models.accounts import Role, device_tokens, staff_sessions, staff_users
from models.booking import partner_keys
from resolvers.accounts.records import RevokedRecord, StaffUserRecord
from resolvers.accounts.sessions import staff_user
from resolvers.accounts.viewer import Viewer


def _revoke(credentials: Table, number: int) -> ReturningUpdate[datetime]:
    """Revoking twice keeps the first moment."""
    return (
        update(credentials)
        .where(credentials.c.id == number)
        .values(revoked_at=func.coalesce(credentials.c.revoked_at, func.now()))
        .returning(credentials.c.revoked_at)
    )


async def revoke_device_token(conn: AsyncConnection, viewer: Viewer, device_id: str) -> RevokedRecord:
    """ADMIN, or MANAGER of the device's office. Revoking twice keeps the first moment."""
    number = parse_id(device_id)
    office_id = (
        None
        if number is None
        else (await conn.execute(select(device_tokens.c.office_id).where(device_tokens.c.id == number))).scalar()
    )
    if number is None or office_id is None:
        raise NotFoundError("No device token has this ID.")
    viewer.require_role(office_id, Role.MANAGER)
    revoked_at = (await conn.execute(_revoke(device_tokens, number))).scalar_one()
    return RevokedRecord(id=number, revoked_at=revoked_at)


async def revoke_partner_key(conn: AsyncConnection, viewer: Viewer, key_id: str) -> RevokedRecord:
    """ADMIN only, as issuing is."""
    viewer.require_admin()
    number = parse_id(key_id)
    revoked_at = None if number is None else (await conn.execute(_revoke(partner_keys, number))).scalar()
    if number is None or revoked_at is None:
        raise NotFoundError("No partner key has this ID.")
    return RevokedRecord(id=number, revoked_at=revoked_at)


def _may_disable(viewer: Viewer, target: StaffUserRecord) -> None:
    """ADMIN: anyone but themselves. MANAGER: staff whose every grant is at offices they manage, and who are
    no ADMIN: a manager cannot reach a person who also works for another office (that office's manager, or
    an ADMIN, decides) and cannot disable an administrator."""
    if target.id == viewer.staff_user_id:
        raise NotAllowedError("You cannot disable yourself; ask another administrator.")
    if viewer.is_admin:
        return
    managed = {g.office_id for g in viewer.grants if g.role is Role.MANAGER}
    if not target.grants or any(g.role is Role.ADMIN or g.office_id not in managed for g in target.grants):
        raise NotAllowedError("You may disable only staff who work only at offices you manage.")


async def disable_staff(conn: AsyncConnection, viewer: Viewer, user_id: str) -> StaffUserRecord:
    """The user cannot sign in any more and every session of theirs ends. Disabling twice keeps the first
    moment; `create-admin` enables an administrator again."""
    if not viewer.is_admin and not any(g.role is Role.MANAGER for g in viewer.grants):
        viewer.require_admin()
    number = parse_id(user_id)
    # FOR UPDATE: a grant given at the same moment cannot slip past the manager's check
    exists = (
        number is not None
        and (await conn.execute(select(staff_users.c.id).where(staff_users.c.id == number).with_for_update())).first()
        is not None
    )
    if number is None or not exists:
        raise NotFoundError("No staff user has this ID.")
    _may_disable(viewer, await staff_user(conn, number))
    await conn.execute(
        update(staff_users)
        .where(staff_users.c.id == number)
        .values(disabled_at=func.coalesce(staff_users.c.disabled_at, func.now()))
    )
    await conn.execute(delete(staff_sessions).where(staff_sessions.c.staff_user_id == number))
    return await staff_user(conn, number)
