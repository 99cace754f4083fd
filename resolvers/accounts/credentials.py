"""The credential behind an open websocket, and which of many have ended: server/ws_sessions.py closes the
sockets of those (HTTP requests authenticate on every call and need none of this)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from resolvers.accounts.viewer import Viewer

# a credential as _ENDED names it: ("session" | "device" | "partner_key", row id)
Credential = tuple[str, int]

_ENDED = text("""
    SELECT 'session' AS kind, c.id FROM unnest(CAST(:sessions AS bigint[])) AS c(id)
    WHERE NOT EXISTS (
        SELECT 1 FROM staff_sessions s JOIN staff_users u ON u.id = s.staff_user_id
        WHERE s.id = c.id AND s.expires_at > now() AND u.disabled_at IS NULL)
    UNION ALL
    SELECT 'device', c.id FROM unnest(CAST(:devices AS bigint[])) AS c(id)
    WHERE NOT EXISTS (SELECT 1 FROM device_tokens d WHERE d.id = c.id AND d.revoked_at IS NULL)
    UNION ALL
    SELECT 'partner_key', c.id FROM unnest(CAST(:partner_keys AS bigint[])) AS c(id)
    WHERE NOT EXISTS (SELECT 1 FROM partner_keys k WHERE k.id = c.id AND k.revoked_at IS NULL)
""")


def credential(viewer: Viewer) -> Credential | None:
    """What a socket's viewer authenticated with; None for anonymous callers, who have nothing to end."""
    if viewer.session_id is not None:
        return ("session", viewer.session_id)
    if viewer.device_id is not None:
        return ("device", viewer.device_id)
    if viewer.partner_key_id is not None:
        return ("partner_key", viewer.partner_key_id)
    return None


async def ended_credentials(conn: AsyncConnection, held: Collection[Credential]) -> list[Credential]:
    """Those of `held` that no longer authenticate (logged out, revoked, expired, user disabled): one statement."""
    ids: dict[str, list[int]] = {"session": [], "device": [], "partner_key": []}
    for kind, number in held:
        ids[kind].append(number)
    rows = await conn.execute(
        _ENDED, {"sessions": ids["session"], "devices": ids["device"], "partner_keys": ids["partner_key"]}
    )
    return [(kind, number) for kind, number in rows]
