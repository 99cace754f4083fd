"""Writing one audit entry, and reading them back page by page with filters (ADMIN only).

What goes in an entry is decided by the caller (schema/audit/trail.py): an actor, never a citizen; ids,
never argument values. This module only stores and reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.errors import ValidationFailed
from core.messages import msg
from core.validation import parse_id
from models.accounts import Role
from models.audit import ActorKind, AuditEntry
from models.base import table_of
from resolvers.accounts.viewer import Viewer
from resolvers.rows import record_columns, records_from_rows

MAX_FIRST = 200
DEFAULT_FIRST = 50
# the highest role names a staff actor (a MANAGER who is also CLERK acted as MANAGER)
_RANKS = (Role.ADMIN, Role.MANAGER, Role.OPERATOR, Role.CLERK)

_ENTRIES = table_of(AuditEntry)


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    id: int
    role: str


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: datetime
    actor_kind: str
    actor_id: int
    actor_role: str
    operation: str
    record_ids: list[str]
    address: str
    outcome: str


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor_kind: ActorKind | None = None
    actor_id: str | None = None
    operation: str | None = None
    record_id: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditRecord]
    # the cursor of the last entry given (pass it as `after` for the next page); None when the page is empty
    end_cursor: str | None
    has_more: bool


_COLUMNS = record_columns(AuditRecord, _ENTRIES)


def actor_of(viewer: Viewer) -> Actor | None:
    """Who acts, as the trail names them; None for an anonymous citizen (not a staff action)."""
    if viewer.staff_user_id is not None:
        held = {grant.role for grant in viewer.grants}
        role = next((r.value for r in _RANKS if r in held), "NONE")
        return Actor(ActorKind.STAFF, viewer.staff_user_id, role)
    if viewer.partner_id is not None:
        return Actor(ActorKind.PARTNER, viewer.partner_id, "PARTNER")
    if viewer.device_id is not None and viewer.device_kind is not None:
        return Actor(ActorKind.DEVICE, viewer.device_id, viewer.device_kind.value)
    return None


async def write(
    engine: AsyncEngine, actor: Actor, operation: str, record_ids: Sequence[str], address: str, outcome: str
) -> None:
    """One entry in its own short transaction: written whether the mutation committed or was refused."""
    async with engine.begin() as conn:
        await conn.execute(
            insert(_ENTRIES).values(
                actor_kind=actor.kind.value,
                actor_id=actor.id,
                actor_role=actor.role,
                operation=operation[:80],
                record_ids=[value[:120] for value in record_ids],
                address=address[:64],
                outcome=outcome[:40],
            )
        )


async def entries(
    conn: AsyncConnection, viewer: Viewer, where: AuditFilter, first: int, after: str | None
) -> AuditPage:
    """Newest first; `after` is the end cursor of the previous page (an entry's id)."""
    viewer.require_admin()
    if not 1 <= first <= MAX_FIRST:
        raise ValidationFailed(
            "first", msg("{field} must be between {low} and {high}.", field="first", low=1, high=MAX_FIRST)
        )
    query = select(*_COLUMNS)
    if after is not None:
        cursor = parse_id(after)
        if cursor is None:
            raise ValidationFailed("after", msg("{field} is not a valid ID.", field="after"))
        query = query.where(_ENTRIES.c.id < cursor)
    if where.actor_kind is not None:
        query = query.where(_ENTRIES.c.actor_kind == where.actor_kind.value)
    if where.actor_id is not None:
        actor = parse_id(where.actor_id)
        if actor is None:
            raise ValidationFailed("filter.actorId", msg("{field} is not a valid ID.", field="actorId"))
        query = query.where(_ENTRIES.c.actor_id == actor)
    if where.operation is not None:
        query = query.where(_ENTRIES.c.operation == where.operation)
    if where.record_id is not None and ":" in where.record_id:
        query = query.where(_ENTRIES.c.record_ids.contains([where.record_id]))  # ix_audit_entries_record_ids
    elif where.record_id is not None:
        # a bare id: of whatever kind (office 3, booking 3…); no index serves it, the other filters narrow it
        ref = func.unnest(_ENTRIES.c.record_ids).column_valued("ref")
        suffix = ":" + where.record_id
        query = query.where(select(ref).where(func.right(ref, len(suffix)) == suffix).exists())
    if where.date_from is not None and where.date_to is not None and where.date_to < where.date_from:
        raise ValidationFailed("filter.to", "`to` must not be before `from`.")
    if where.date_from is not None:
        query = query.where(_ENTRIES.c.at >= where.date_from)
    if where.date_to is not None:
        query = query.where(_ENTRIES.c.at < where.date_to)
    rows = await conn.execute(query.order_by(_ENTRIES.c.id.desc()).limit(first + 1))
    found = records_from_rows(AuditRecord, rows.mappings())
    page = found[:first]
    return AuditPage(entries=page, end_cursor=str(page[-1].id) if page else None, has_more=len(found) > first)
