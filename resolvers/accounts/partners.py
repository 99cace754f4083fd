"""Partner applications (the citizen portal, the licence service…) and their API keys. ADMIN only."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from core import validation
from core.errors import ValidationFailed
from core.messages import msg
from core.security import new_token, token_hash
from models.booking import PARTNER_SCOPES, partner_keys, partners
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
        raise ValidationFailed(
            "scopes",
            msg("Unknown scope {scope}; known: {known}.", scope=repr(unknown[0]), known=", ".join(PARTNER_SCOPES)),
        )
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
    upsert = insert(partners).values(name=partner)
    upsert = upsert.on_conflict_do_update(index_elements=[partners.c.name], set_={"name": upsert.excluded.name})
    partner_id = (await conn.execute(upsert.returning(partners.c.id))).scalar_one()
    token = new_token("tp_")
    issued = insert(partner_keys).values(
        partner_id=partner_id, name=name, token_hash=token_hash(secret_key, token), scopes=list(granted)
    )
    key_id = (await conn.execute(issued.returning(partner_keys.c.id))).scalar_one()
    return PartnerKeyRecord(id=key_id, token=token, partner_id=partner_id, partner=partner, name=name, scopes=granted)
