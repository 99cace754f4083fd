from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.feedback.submit import FeedbackRecord
from schema.catalogue.types import Office, Service, load_office, load_service
from schema.context import Info


@strawberry.type(description="A visit's rating, as received: one per visit.")
class FeedbackReceipt:
    rating: int = strawberry.field(description="1 (poor) to 5 (excellent).")
    comment: str | None
    submitted_at: datetime
    record: strawberry.Private[FeedbackRecord]

    @classmethod
    def from_record(cls, record: FeedbackRecord) -> FeedbackReceipt:
        return cls(rating=record.rating, comment=record.comment, submitted_at=record.submitted_at, record=record)

    @strawberry.field(description="The office visited.")
    async def office(self, info: Info) -> Office:
        return await load_office(info, self.record.office_id)

    @strawberry.field(description="The procedure the citizen was served for.")
    async def service(self, info: Info) -> Service:
        return await load_service(info, self.record.service_id)
