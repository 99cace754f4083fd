"""Who is calling, and what they may do. Every operation asks here before it touches data."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import NotAllowedError
from models.accounts import DeviceKind, Role


@dataclass(frozen=True, slots=True)
class Grant:
    role: Role
    office_id: int | None


@dataclass(frozen=True, slots=True)
class Viewer:
    """Anonymous (a citizen), a staff user with grants, a kiosk/display device of one office, or a partner."""

    staff_user_id: int | None = None
    username: str | None = None
    grants: tuple[Grant, ...] = field(default=())
    device_id: int | None = None
    device_kind: DeviceKind | None = None
    device_office_id: int | None = None
    partner_id: int | None = None
    # a partner key's scopes (models/booking.py PARTNER_SCOPES); resolvers/booking/access.py checks them
    partner_scopes: frozenset[str] = field(default=frozenset())
    # the partner's own cost refill rate when an ADMIN set one (setPartnerRateLimit), else the default
    partner_cost_per_second: int | None = None
    # which credential: the staff session or partner key row, so that logout ends that one and the
    # websocket watcher (server/ws_sessions.py) can tell when it ends
    session_id: int | None = None
    partner_key_id: int | None = None

    @property
    def caller(self) -> str:
        """Who is asking, as idempotency keys and booking history record it."""
        if self.staff_user_id is not None:
            return f"staff:{self.staff_user_id}"
        if self.partner_id is not None:
            return f"partner:{self.partner_id}"
        if self.device_id is not None:
            return f"device:{self.device_id}"
        return "citizen"

    @property
    def is_staff(self) -> bool:
        return self.staff_user_id is not None

    @property
    def is_admin(self) -> bool:
        return any(grant.role is Role.ADMIN for grant in self.grants)

    def has_role(self, office_id: int | None, *roles: Role) -> bool:
        """ADMIN always; otherwise one of `roles` granted for that office, or an OPERATOR grant without an office
        (the city's call centre: every office, but only where OPERATOR is among `roles`)."""
        if self.is_admin:
            return True
        return office_id is not None and any(
            grant.role in roles and (grant.office_id == office_id or grant.office_id is None) for grant in self.grants
        )

    def offices_with(self, *roles: Role) -> frozenset[int] | None:
        """The offices where this viewer holds one of `roles` (as has_role counts them); None: every office."""
        if self.is_admin or any(g.role in roles and g.office_id is None for g in self.grants):
            return None
        return frozenset(g.office_id for g in self.grants if g.role in roles and g.office_id is not None)

    def require_admin(self) -> None:
        if not self.is_admin:
            raise NotAllowedError("Only an administrator may do this.")

    def require_role(self, office_id: int | None, *roles: Role) -> None:
        if not self.has_role(office_id, *roles):
            raise NotAllowedError("You have no rights over this office for this action.")


ANONYMOUS = Viewer()
