"""ADMINs' read of the audit trail: auditEntries, newest first, filtered and paged."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import strawberry

from models.audit import ActorKind
from resolvers.audit import trail
from resolvers.audit.trail import DEFAULT_FIRST, MAX_FIRST, AuditFilter, AuditPage, AuditRecord
from schema.audit.trail import MAX_RECORD_IDS
from schema.bounds import ListBound
from schema.context import Info
from schema.errors import NotAllowed, ValidationError
from schema.operation import run_read

strawberry.enum(ActorKind, description="Who acted: a staff user, a partner application or an office device.")


@strawberry.input(description="Which entries: every filter given must match.")
class AuditFilterInput:
    actor_kind: ActorKind | None = None
    actor_id: strawberry.ID | None = strawberry.field(
        default=None, description="The staff user's, partner's or device's ID (with actorKind to tell them apart)."
    )
    operation: str | None = strawberry.field(default=None, description="A mutation's name, e.g. callNext.")
    record_id: str | None = strawberry.field(
        default=None,
        description="A record the operation named or returned, as recordIds shows it (booking:7, office:3, "
        "ticket:…); a bare ID (7) matches a record of any kind with that ID.",
    )
    date_from: datetime | None = strawberry.field(default=None, name="from", description="From this instant on.")
    to: datetime | None = strawberry.field(default=None, description="Before this instant.")


@strawberry.type(
    description="One mutation by a staff user, partner or device: who, what, when, from where, how it ended. "
    "Citizens' personal data never appears: records are named by ID."
)
class AuditEntry:
    id: strawberry.ID
    at: datetime
    actor_kind: ActorKind
    actor_id: strawberry.ID
    actor_role: str = strawberry.field(
        description="The staff user's highest role (ADMIN, MANAGER, OPERATOR, CLERK), the device's kind (KIOSK, "
        "DISPLAY) or PARTNER."
    )
    operation: str = strawberry.field(description="The mutation, as the schema names it.")
    record_ids: list[str] = strawberry.field(
        description="The records it named (its ID arguments) and the one it returned, as kind:ID (office:3, "
        "booking:7, ticket:…, deviceToken:2): IDs only, never another argument's value.",
        extensions=[ListBound(MAX_RECORD_IDS)],
    )
    address: str = strawberry.field(description="The client address, as the rate limits see it.")
    outcome: str = strawberry.field(
        description="OK, the code of the UserError it answered (NOT_ALLOWED, NOT_FOUND…), or of a top-level error "
        "(FAULT when unexpected)."
    )

    @classmethod
    def from_record(cls, record: AuditRecord) -> AuditEntry:
        return cls(
            id=strawberry.ID(str(record.id)),
            at=record.at,
            actor_kind=ActorKind(record.actor_kind),
            actor_id=strawberry.ID(str(record.actor_id)),
            actor_role=record.actor_role,
            operation=record.operation,
            record_ids=list(record.record_ids),
            address=record.address,
            outcome=record.outcome,
        )


def _page_size(arguments: Mapping[str, Any]) -> int:
    first = arguments.get("first", DEFAULT_FIRST)
    return first if isinstance(first, int) and not isinstance(first, bool) else MAX_FIRST


@strawberry.type(name="AuditPage", description="A page of audit entries, newest first.")
class AuditPageType:
    entries: list[AuditEntry] = strawberry.field(extensions=[ListBound(MAX_FIRST, parent_size=_page_size)])
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page; null when empty.")
    has_more: bool

    @classmethod
    def from_record(cls, page: AuditPage) -> AuditPageType:
        return cls(
            entries=[AuditEntry.from_record(entry) for entry in page.entries],
            end_cursor=page.end_cursor,
            has_more=page.has_more,
        )


AuditPageResult = Annotated[AuditPageType | NotAllowed | ValidationError, strawberry.union("AuditEntriesResult")]


@strawberry.type
class AuditQuery:
    @strawberry.field(description="ADMIN: the audit trail of staff, partner and device mutations, newest first.")
    async def audit_entries(
        self,
        info: Info,
        filter: AuditFilterInput | None = None,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
    ) -> AuditPageResult:
        viewer = info.context.viewer
        given = filter or AuditFilterInput()
        where = AuditFilter(
            actor_kind=given.actor_kind,
            actor_id=given.actor_id,
            operation=given.operation,
            record_id=given.record_id,
            date_from=given.date_from,
            date_to=given.to,
        )
        return await run_read(
            info, lambda conn: trail.entries(conn, viewer, where, first, after), AuditPageType.from_record
        )
