"""Staff users, their role grants and sessions, and kiosk/display device tokens. Only hashes are kept."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at_column, id_column, table_of


class Role(enum.StrEnum):
    ADMIN = "ADMIN"
    MANAGER = "MANAGER"
    CLERK = "CLERK"
    OPERATOR = "OPERATOR"


class DeviceKind(enum.StrEnum):
    KIOSK = "KIOSK"
    DISPLAY = "DISPLAY"


class StaffUser(Base):
    __tablename__ = "staff_users"
    __table_args__ = (Index("uq_staff_users_username", text("lower(username)"), unique=True),)

    id: Mapped[int] = id_column()
    username: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at_column()
    # disableStaff: kept for history, but no sign-in and no session from then on
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


OFFICE_BY_ROLE = (
    "CASE role WHEN 'ADMIN' THEN office_id IS NULL WHEN 'OPERATOR' THEN true ELSE office_id IS NOT NULL END"
)


class RoleGrant(Base):
    __tablename__ = "role_grants"
    __table_args__ = (
        # ADMIN holds every office; OPERATOR may too (the city's phone line answers for all of them); the others
        # are granted per office
        CheckConstraint(OFFICE_BY_ROLE, name="office_by_role"),
        Index("uq_role_grants", "staff_user_id", "role", text("coalesce(office_id, 0)"), unique=True),
    )

    id: Mapped[int] = id_column()
    staff_user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("staff_users.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(Enum(Role, name="role"))
    office_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("offices.id", ondelete="CASCADE"))


class StaffSession(Base):
    __tablename__ = "staff_sessions"

    id: Mapped[int] = id_column()
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    staff_user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeviceToken(Base):
    __tablename__ = "device_tokens"

    id: Mapped[int] = id_column()
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    kind: Mapped[DeviceKind] = mapped_column(Enum(DeviceKind, name="device_kind"))
    name: Mapped[str] = mapped_column(String(100))
    office_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("offices.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = created_at_column()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


staff_users = table_of(StaffUser)
# the unique index on lower(username): what an insert names as its conflict target
ONE_USERNAME = next(index for index in staff_users.indexes if index.name == "uq_staff_users_username")
role_grants = table_of(RoleGrant)
staff_sessions = table_of(StaffSession)
device_tokens = table_of(DeviceToken)
