"""Bearer tokens to viewers, staff sign-in (throttled per username and address), and sign-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.errors import AuthenticationFailed, NotAllowedError
from core.security import new_token, token_hash, verify_password_off_loop
from models.accounts import DeviceKind, Role, device_tokens, role_grants, staff_sessions, staff_users
from models.booking import partner_keys, partners
from resolvers.accounts.records import SessionRecord, StaffUserRecord
from resolvers.accounts.throttle import LoginLimits, attempt_succeeded, reserve_attempt
from resolvers.accounts.viewer import Grant, Viewer

_GRANTED = role_grants.c.id.is_not(None)

# a session's user with every grant of theirs: one row, roles and offices aggregated side by side (in the same
# order); a user without grants has NULL for both
_STAFF_BY_TOKEN = (
    select(
        staff_sessions.c.id.label("session_id"),
        staff_users.c.id,
        staff_users.c.username,
        func.array_agg(role_grants.c.role).filter(_GRANTED).label("roles"),
        func.array_agg(role_grants.c.office_id).filter(_GRANTED).label("office_ids"),
    )
    .join_from(staff_sessions, staff_users, staff_users.c.id == staff_sessions.c.staff_user_id)
    .outerjoin(role_grants, role_grants.c.staff_user_id == staff_users.c.id)
    .where(
        staff_sessions.c.token_hash == bindparam("hash"),
        staff_sessions.c.expires_at > func.now(),
        staff_users.c.disabled_at.is_(None),
    )
    .group_by(staff_sessions.c.id, staff_users.c.id)
)

_DEVICE_BY_TOKEN = select(device_tokens.c.id, device_tokens.c.kind, device_tokens.c.office_id).where(
    device_tokens.c.token_hash == bindparam("hash"), device_tokens.c.revoked_at.is_(None)
)

_PARTNER_BY_TOKEN = (
    select(partner_keys.c.id, partner_keys.c.partner_id, partner_keys.c.scopes, partners.c.cost_per_second)
    .join_from(partner_keys, partners, partners.c.id == partner_keys.c.partner_id)
    .where(partner_keys.c.token_hash == bindparam("hash"), partner_keys.c.revoked_at.is_(None))
)

_STAFF_USER = (
    select(staff_users.c.username, staff_users.c.disabled_at, role_grants.c.role, role_grants.c.office_id)
    .outerjoin_from(staff_users, role_grants, role_grants.c.staff_user_id == staff_users.c.id)
    .where(staff_users.c.id == bindparam("id"))
    .order_by(role_grants.c.id)
)


def _grants(roles: list[Role] | None, office_ids: list[int | None] | None) -> tuple[Grant, ...]:
    return tuple(Grant(Role(role), office_id) for role, office_id in zip(roles or (), office_ids or (), strict=True))


async def authenticate(conn: AsyncConnection, secret_key: bytes, token: str) -> Viewer:
    """The viewer a bearer token stands for; AuthenticationFailed when it is unknown, expired or revoked,
    or its user is disabled."""
    digest = token_hash(secret_key, token)
    row = (await conn.execute(_STAFF_BY_TOKEN, {"hash": digest})).mappings().first()
    if row is not None:
        return Viewer(
            staff_user_id=row["id"],
            username=row["username"],
            grants=_grants(row["roles"], row["office_ids"]),
            session_id=row["session_id"],
        )
    device = (await conn.execute(_DEVICE_BY_TOKEN, {"hash": digest})).mappings().first()
    if device is not None:
        return Viewer(
            device_id=device["id"], device_kind=DeviceKind(device["kind"]), device_office_id=device["office_id"]
        )
    partner = (await conn.execute(_PARTNER_BY_TOKEN, {"hash": digest})).first()
    if partner is not None:
        return Viewer(
            partner_id=partner.partner_id,
            partner_scopes=frozenset(partner.scopes),
            partner_cost_per_second=partner.cost_per_second,
            partner_key_id=partner.id,
        )
    raise AuthenticationFailed("The token is invalid or has expired; sign in again.")


async def staff_user(conn: AsyncConnection, user_id: int) -> StaffUserRecord:
    rows = (await conn.execute(_STAFF_USER, {"id": user_id})).mappings().all()
    grants = tuple(Grant(Role(row["role"]), row["office_id"]) for row in rows if row["role"] is not None)
    return StaffUserRecord(id=user_id, username=rows[0]["username"], grants=grants, disabled_at=rows[0]["disabled_at"])


async def login(
    engine: AsyncEngine,
    redis: Redis,
    secret_key: bytes,
    username: str,
    password: str,
    *,
    client_address: str,
    session_hours: int,
    limits: LoginLimits,
) -> SessionRecord:
    """A new session, or NotAllowedError (wrong username, password, or a disabled user: one answer for all)
    or LimitExceededError (too many failures from this address, for this user or in all).

    No connection is held while argon2 runs: the user's hash is read on one, the password verified on the
    hashing threads, and the session written in a transaction of its own.
    """
    await reserve_attempt(redis, username, client_address, limits)
    async with engine.connect() as conn:
        signing_in = select(staff_users.c.id, staff_users.c.password_hash).where(
            func.lower(staff_users.c.username) == func.lower(username), staff_users.c.disabled_at.is_(None)
        )
        row = (await conn.execute(signing_in)).mappings().first()
    # an unknown or disabled user is verified against a dummy hash: it costs what a wrong password costs
    if not await verify_password_off_loop(row["password_hash"] if row else None, password) or row is None:
        raise NotAllowedError("Wrong username or password.")
    await attempt_succeeded(redis, username, client_address)
    token = new_token("ts_")
    expires_at = datetime.now(UTC) + timedelta(hours=session_hours)
    async with engine.begin() as conn:
        await conn.execute(
            insert(staff_sessions).values(
                token_hash=token_hash(secret_key, token), staff_user_id=row["id"], expires_at=expires_at
            )
        )
        # expired sessions of this user are no use to anybody
        await conn.execute(
            delete(staff_sessions).where(
                staff_sessions.c.staff_user_id == row["id"], staff_sessions.c.expires_at < func.now()
            )
        )
        user = await staff_user(conn, row["id"])
    return SessionRecord(token=token, expires_at=expires_at, user=user)


async def logout(conn: AsyncConnection, viewer: Viewer) -> bool:
    """Ends the caller's staff session: true when one ended.

    Device tokens and partner keys are not ended by their holders (a kiosk signing itself out would need an
    administrator to come back); they are revoked by an ADMIN or the office's MANAGER, so for them, as for
    an anonymous caller, there is nothing to end and the answer is false.
    """
    if viewer.session_id is None:
        return False
    ended = await conn.execute(delete(staff_sessions).where(staff_sessions.c.id == viewer.session_id))
    return ended.rowcount > 0
