from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.accounts import DeviceKind
from resolvers.accounts.viewer import Grant


@dataclass(frozen=True, slots=True)
class StaffUserRecord:
    id: int
    username: str
    grants: tuple[Grant, ...]
    disabled_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SessionRecord:
    token: str
    expires_at: datetime
    user: StaffUserRecord


@dataclass(frozen=True, slots=True)
class DeviceTokenRecord:
    id: int
    token: str
    kind: DeviceKind
    name: str
    office_id: int


@dataclass(frozen=True, slots=True)
class RevokedRecord:
    """A credential taken back: a device token, a partner key."""

    id: int
    revoked_at: datetime
