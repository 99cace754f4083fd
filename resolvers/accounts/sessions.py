"""Bearer tokens to viewers, and staff login with a lockout after repeated failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import AuthenticationFailed, LimitExceededError, NotAllowedError
from core.security import new_token, token_hash, verify_password
from models.accounts import DeviceKind, Role
from resolvers.accounts.records import SessionRecord, StaffUserRecord
from resolvers.accounts.viewer import Grant, Viewer

_STAFF_BY_TOKEN = text("""
    SELECT u.id, u.username,
           coalesce(array_agg(g.role::text) FILTER (WHERE g.id IS NOT NULL), '{}') AS roles,
           coalesce(array_agg(g.office_id) FILTER (WHERE g.id IS NOT NULL), '{}') AS office_ids
    FROM staff_sessions s
    JOIN staff_users u ON u.id = s.staff_user_id
    LEFT JOIN role_grants g ON g.staff_user_id = u.id
    WHERE s.token_hash = :hash AND s.expires_at > now()
    GROUP BY u.id
""")

_DEVICE_BY_TOKEN = text("""
    SELECT id, kind::text AS kind, office_id FROM device_tokens WHERE token_hash = :hash AND revoked_at IS NULL
""")

_PARTNER_BY_TOKEN = text("""
    SELECT k.partner_id, k.scopes, p.cost_per_second
    FROM partner_keys k JOIN partners p ON p.id = k.partner_id
    WHERE k.token_hash = :hash AND k.revoked_at IS NULL
""")


def _grants(roles: list[str], office_ids: list[int | None]) -> tuple[Grant, ...]:
    return tuple(Grant(Role(role), office_id) for role, office_id in zip(roles, office_ids, strict=True))


async def authenticate(conn: AsyncConnection, secret_key: bytes, token: str) -> Viewer:
    """The viewer a bearer token stands for; AuthenticationFailed when it is unknown, expired or revoked."""
    digest = token_hash(secret_key, token)
    row = (await conn.execute(_STAFF_BY_TOKEN, {"hash": digest})).mappings().first()
    if row is not None:
        return Viewer(
            staff_user_id=row["id"],
            username=row["username"],
            grants=_grants(row["roles"], row["office_ids"]),
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
        )
    raise AuthenticationFailed("The token is invalid or has expired; sign in again.")


async def staff_user(conn: AsyncConnection, user_id: int) -> StaffUserRecord:
    rows = (
        (
            await conn.execute(
                text("""SELECT u.username, g.role::text AS role, g.office_id
                FROM staff_users u LEFT JOIN role_grants g ON g.staff_user_id = u.id
                WHERE u.id = :id ORDER BY g.id"""),
                {"id": user_id},
            )
        )
        .mappings()
        .all()
    )
    grants = tuple(Grant(Role(row["role"]), row["office_id"]) for row in rows if row["role"] is not None)
    return StaffUserRecord(id=user_id, username=rows[0]["username"], grants=grants)


def _failures_key(username: str) -> str:
    return f"turnero:login-failures:{username.lower()}"


async def login(
    conn: AsyncConnection,
    redis: Redis,
    secret_key: bytes,
    username: str,
    password: str,
    *,
    session_hours: int,
    max_failures: int,
    lockout_seconds: int,
) -> SessionRecord:
    key = _failures_key(username)
    failures = int(await redis.get(key) or 0)
    if failures >= max_failures:
        raise LimitExceededError("Too many failed sign-ins for this user; try again in a few minutes.")
    row = (
        (
            await conn.execute(
                text("SELECT id, password_hash FROM staff_users WHERE lower(username) = lower(:username)"),
                {"username": username},
            )
        )
        .mappings()
        .first()
    )
    if not verify_password(row["password_hash"] if row else None, password) or row is None:
        # the counter lives in Redis so that every API process sees the same lockout
        async with redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, lockout_seconds)
            await pipe.execute()
        raise NotAllowedError("Wrong username or password.")
    await redis.delete(key)
    token = new_token("ts_")
    expires_at = datetime.now(UTC) + timedelta(hours=session_hours)
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
    return SessionRecord(token=token, expires_at=expires_at, user=await staff_user(conn, row["id"]))
