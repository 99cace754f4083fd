"""A partner's own cost budget, set by an ADMIN: a portal that books for thousands may need more than the
default, a misbehaving one less. Read with the partner's key at each request (resolvers/accounts/sessions.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from core import validation
from core.errors import NotFoundError
from models.booking import partners
from resolvers.accounts.viewer import Viewer

# a hundred times the default: higher is a typing mistake, not a plan
MAX_COST_PER_SECOND = 100_000


@dataclass(frozen=True, slots=True)
class PartnerRateLimitRecord:
    partner: str
    cost_per_second: int | None  # None: the default applies


async def set_partner_rate_limit(
    conn: AsyncConnection, viewer: Viewer, partner: str, cost_per_second: int | None
) -> PartnerRateLimitRecord:
    viewer.require_admin()
    partner = validation.text_field("partner", partner, max_length=100)
    if cost_per_second is not None:
        validation.integer_range("costPerSecond", cost_per_second, 1, MAX_COST_PER_SECOND)
    name = (
        await conn.execute(
            update(partners)
            .where(partners.c.name == partner)
            .values(cost_per_second=cost_per_second)
            .returning(partners.c.name)
        )
    ).scalar_one_or_none()
    if name is None:
        raise NotFoundError("No partner by that name; issuePartnerKey creates it.")
    return PartnerRateLimitRecord(partner=name, cost_per_second=cost_per_second)
