"""eraseCitizen: one person's data anonymised on their request (resolvers/privacy/erasure.py)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import strawberry

from resolvers.privacy.erasure import ErasureReport as ErasureRecord
from resolvers.privacy.erasure import erase
from schema.context import Info
from schema.errors import InvalidState, NotAllowed, ValidationError
from schema.operation import run_mutation


@strawberry.type(description="What eraseCitizen anonymised or deleted: counts only, nothing that names the person.")
class ErasureReport:
    bookings: int
    companions: int = strawberry.field(description="Places the person took in someone else's booking.")
    tickets: int
    feedback: int
    waitlist_entries: int
    draw_entries: int
    mail_files: int = strawberry.field(description="Mail files under the data directory that mentioned them.")
    cancelled_bookings: int = strawberry.field(
        description="Future bookings cancelled, each with the usual cancellation mail, sent before the erasure."
    )

    @classmethod
    def from_record(cls, record: ErasureRecord) -> ErasureReport:
        return cls(**asdict(record))  # the same fields, counts only


ErasureResult = Annotated[
    ErasureReport | ValidationError | NotAllowed | InvalidState, strawberry.union("ErasureResult")
]


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation(
        description="ADMIN: anonymises every record of the person a document number, e-mail or phone names "
        "(bookings, companions, tickets, feedback, waitlist and draw entries, stored responses, mail files) and "
        "cancels their future bookings with the usual mail. At least one of the three (ValidationError otherwise)."
    )
    async def erase_citizen(
        self, info: Info, document_id: str | None = None, email: str | None = None, phone: str | None = None
    ) -> ErasureResult:
        viewer, settings = info.context.viewer, info.context.state.settings
        return await run_mutation(
            info, lambda conn: erase(conn, viewer, settings, document_id, email, phone), ErasureReport.from_record
        )
