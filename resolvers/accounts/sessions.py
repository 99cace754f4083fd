"""Bearer tokens to viewers, staff sign-in (throttled per username and address), and sign-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.errors import AuthenticationFailed, NotAllowedError
from core.security import new_token, token_hash, verify_password_off_loop
from models.accounts import DeviceKind, Role
from resolvers.accounts.records import SessionRecord, StaffUserRecord
from resolvers.accounts.throttle import LoginLimits, attempt_succeeded, reserve_attempt
from resolvers.accounts.viewer import Grant, Viewer

_STAFF_BY_TOKEN = text("""
    SELECT s.id AS session_id, u.id, u.username,
           coalesce(array_agg(g.role::text) FILTER (WHERE g.id IS NOT NULL), '{}') AS roles,
           coalesce(array_agg(g.office_id) FILTER (WHERE g.id IS NOT NULL), '{}') AS office_ids
    FROM staff_sessions s
    JOIN staff_users u ON u.id = s.staff_user_id
    LEFT JOIN role_grants g ON g.staff_user_id = u.id
    WHERE s.token_hash = :hash AND s.expires_at > now() AND u.disabled_at IS NULL
    GROUP BY s.id, u.id
""")

_DEVICE_BY_TOKEN = text("""
    SELECT id, kind::text AS kind, office_id FROM device_tokens WHERE token_hash = :hash AND revoked_at IS NULL
""")

_PARTNER_BY_TOKEN = text("""
    SELECT k.id, k.partner_id, k.scopes, p.cost_per_second
    FROM partner_keys k JOIN partners p ON p.id = k.partner_id
    WHERE k.token_hash = :hash AND k.revoked_at IS NULL
""")


def _grants(roles: list[str], office_ids: list[int | None]) -> tuple[Grant, ...]:
    return tuple(Grant(Role(role), office_id) for role, office_id in zip(roles, office_ids, strict=True))


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
    rows = (
        (
            await conn.execute(
                text("""SELECT u.username, u.disabled_at, g.role::text AS role, g.office_id
                FROM staff_users u LEFT JOIN role_grants g ON g.staff_user_id = u.id
                WHERE u.id = :id ORDER BY g.id"""),
                {"id": user_id},
            )
        )
        .mappings()
        .all()
    )
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
        row = (
            (
                await conn.execute(
                    text("""SELECT id, password_hash FROM staff_users
                            WHERE lower(username) = lower(:username) AND disabled_at IS NULL"""),
                    {"username": username},
                )
            )
            .mappings()
            .first()
        )
    # an unknown or disabled user is verified against a dummy hash: it costs what a wrong password costs
    if not await verify_password_off_loop(row["password_hash"] if row else None, password) or row is None:
        raise NotAllowedError("Wrong username or password.")
    await attempt_succeeded(redis, username, client_address)
    token = new_token("ts_")
    expires_at = datetime.now(UTC) + timedelta(hours=session_hours)
    async with engine.begin() as conn:
        await conn.execute(
            text("""INSERT INTO staff_sessions (token_hash, staff_user_id, expires_at)
                    VALUES (:hash, :user_id, :expires_at)"""),
            {"hash": token_hash(secret_key, token), "user_id": row["id"], "expires_at": expires_at},
        )
        # expired sessions of this user are no use to anybody
        await conn.execute(
            text("DELETE FROM staff_sessions WHERE staff_user_id = :user_id AND expires_at < now()"),
            {"user_id": row["id"]},
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
    ended = await conn.execute(text("DELETE FROM staff_sessions WHERE id = :id"), {"id": viewer.session_id})
    return ended.rowcount > 0
