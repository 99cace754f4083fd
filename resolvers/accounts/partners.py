"""Partner applications (the citizen portal, the licence service…) and their API keys. ADMIN only."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core import validation
from core.errors import ValidationFailed
from core.security import new_token, token_hash
from models.booking import PARTNER_SCOPES
from resolvers.accounts.viewer import Viewer


@dataclass(frozen=True, slots=True)
class PartnerKeyRecord:
    id: int
    token: str
    partner_id: int
    partner: str
    name: str
    scopes: tuple[str, ...]


def _scopes(requested: list[str] | None) -> tuple[str, ...]:
    """All scopes when none are asked for (as keys were before scopes existed); known ones only."""
    if requested is None:
        return PARTNER_SCOPES
    unknown = sorted(set(requested) - set(PARTNER_SCOPES))
    if unknown:
        raise ValidationFailed("scopes", f"Unknown scope {unknown[0]!r}; known: {', '.join(PARTNER_SCOPES)}.")
    if not requested:
        raise ValidationFailed("scopes", "A key needs at least one scope.")
    return tuple(scope for scope in PARTNER_SCOPES if scope in requested)


async def issue_partner_key(
    conn: AsyncConnection,
    viewer: Viewer,
    secret_key: bytes,
    partner: str,
    name: str,
    scopes: list[str] | None = None,
) -> PartnerKeyRecord:
    """Creates the partner on first use; each key is shown once and stored only as a hash."""
    viewer.require_admin()
    partner = validation.text_field("partner", partner, max_length=100)
    name = validation.text_field("name", name, max_length=100)
    granted = _scopes(scopes)
    partner_id = (
        await conn.execute(
            text("""INSERT INTO partners (name) VALUES (:name)
                    ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id"""),
            {"name": partner},
        )
    ).scalar_one()
    token = new_token("tp_")
    key_id = (
        await conn.execute(
            text("""INSERT INTO partner_keys (partner_id, name, token_hash, scopes)
                    VALUES (:partner_id, :name, :hash, CAST(:scopes AS varchar[])) RETURNING id"""),
            {"partner_id": partner_id, "name": name, "hash": token_hash(secret_key, token), "scopes": list(granted)},
        )
    ).scalar_one()
    return PartnerKeyRecord(id=key_id, token=token, partner_id=partner_id, partner=partner, name=name, scopes=granted)
