"""setPartnerRateLimit: an ADMIN sets (or clears) a partner's own cost budget."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.accounts.partner_limits import PartnerRateLimitRecord, set_partner_rate_limit
from schema.context import Info
from schema.errors import NotAllowed, NotFound, ValidationError
from schema.operation import run_mutation


@strawberry.type(description="A partner's cost budget: the points its bucket refills per second.")
class PartnerRateLimit:
    partner: str
    cost_per_second: int = strawberry.field(description="What applies now: the partner's own figure or the default.")
    is_default: bool = strawberry.field(description="True when no figure of its own is set.")


PartnerRateLimitResult = Annotated[
    PartnerRateLimit | ValidationError | NotFound | NotAllowed, strawberry.union("PartnerRateLimitResult")
]


@strawberry.type
class PartnerLimitMutation:
    @strawberry.mutation(
        description="ADMIN: the cost points per second a partner's keys may spend together (their bucket holds "
        "TURNERO_RATE_COST_WINDOW_SECONDS of it); null returns it to the default."
    )
    async def set_partner_rate_limit(
        self, info: Info, partner: str, cost_per_second: int | None = None
    ) -> PartnerRateLimitResult:
        viewer, default = info.context.viewer, info.context.state.settings.rate_partner_cost_per_second

        def present(record: PartnerRateLimitRecord) -> PartnerRateLimit:
            own = record.cost_per_second
            return PartnerRateLimit(partner=record.partner, cost_per_second=own or default, is_default=own is None)

        return await run_mutation(
            info, lambda conn: set_partner_rate_limit(conn, viewer, partner, cost_per_second), present
        )
