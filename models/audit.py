"""The audit trail: who changed what, when, from where, and how it ended.

No foreign keys: an entry outlives what it names (retention anonymises or deletes bookings and tickets; an
erased citizen's records keep their ids here). No personal data of citizens either: the actor is staff, a
partner or a device, and the records are named by id only (schema/audit/trail.py decides what is written).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, String, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, id_column


class ActorKind(enum.StrEnum):
    STAFF = "STAFF"
    PARTNER = "PARTNER"
    DEVICE = "DEVICE"


ACTOR_KINDS = tuple(kind.value for kind in ActorKind)


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        CheckConstraint("actor_kind IN ('STAFF', 'PARTNER', 'DEVICE')", name="actor_kind"),
        # the filters: by actor, by operation, by record (GIN over the ids), each newest first
        Index("ix_audit_entries_at", "at", "id"),
        Index("ix_audit_entries_actor", "actor_kind", "actor_id", "at"),
        Index("ix_audit_entries_operation", "operation", "at"),
        Index("ix_audit_entries_record_ids", "record_ids", postgresql_using="gin"),
    )

    id: Mapped[int] = id_column()
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
    actor_kind: Mapped[str] = mapped_column(String(8))
    actor_id: Mapped[int] = mapped_column(BigInteger)
    # ADMIN, MANAGER, CLERK, OPERATOR (the staff user's highest), KIOSK or DISPLAY, or PARTNER
    actor_role: Mapped[str] = mapped_column(String(16))
    # the mutation's root field, as the schema names it (callNext, upsertOffice…)
    operation: Mapped[str] = mapped_column(String(80))
    # the public ids the operation named (its ID-typed arguments) and the id of the object it returned
    record_ids: Mapped[list[str]] = mapped_column(ARRAY(String(120)), server_default="{}")
    # the caller's address as the rate limiter keys it (schema/context.py client_address)
    address: Mapped[str] = mapped_column(String(64))
    # OK, a UserError's code (NOT_ALLOWED, NOT_FOUND…) or FAULT for an unexpected error
    outcome: Mapped[str] = mapped_column(String(40))
