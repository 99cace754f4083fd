"""Taking credentials back: device tokens, partner keys, staff users. Each ends at once on HTTP (authentication
reads the row on every request) and on open websockets within seconds (server/ws_sessions.py)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import NotAllowedError, NotFoundError
from core.validation import parse_id
from models.accounts import Role
from resolvers.accounts.records import RevokedRecord, StaffUserRecord
from resolvers.accounts.sessions import staff_user
from resolvers.accounts.viewer import Viewer


async def revoke_device_token(conn: AsyncConnection, viewer: Viewer, device_id: str) -> RevokedRecord:
    """ADMIN, or MANAGER of the device's office. Revoking twice keeps the first moment."""
    number = parse_id(device_id)
    office_id = (
        None
        if number is None
        else (await conn.execute(text("SELECT office_id FROM device_tokens WHERE id = :id"), {"id": number})).scalar()
    )
    if number is None or office_id is None:
        raise NotFoundError("No device token has this ID.")
    viewer.require_role(office_id, Role.MANAGER)
    revoked_at = (
        await conn.execute(
            text("""UPDATE device_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = :id
                    RETURNING revoked_at"""),
            {"id": number},
        )
    ).scalar_one()
    return RevokedRecord(id=number, revoked_at=revoked_at)


async def revoke_partner_key(conn: AsyncConnection, viewer: Viewer, key_id: str) -> RevokedRecord:
    """ADMIN only, as issuing is."""
    viewer.require_admin()
    number = parse_id(key_id)
    revoked_at = (
        None
        if number is None
        else (
            await conn.execute(
                text("""UPDATE partner_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = :id
                        RETURNING revoked_at"""),
                {"id": number},
            )
        ).scalar()
    )
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
        and (await conn.execute(text("SELECT 1 FROM staff_users WHERE id = :id FOR UPDATE"), {"id": number})).first()
        is not None
    )
    if number is None or not exists:
        raise NotFoundError("No staff user has this ID.")
    _may_disable(viewer, await staff_user(conn, number))
    await conn.execute(
        text("UPDATE staff_users SET disabled_at = coalesce(disabled_at, now()) WHERE id = :id"), {"id": number}
    )
    await conn.execute(text("DELETE FROM staff_sessions WHERE staff_user_id = :id"), {"id": number})
    return await staff_user(conn, number)
