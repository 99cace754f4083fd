"""The 311 loop: the citizen rates a visit with the token from the feedback mail."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.feedback.submit import submit_feedback
from schema.context import Info
from schema.errors import InvalidState, NotFound, ValidationError
from schema.feedback.types import FeedbackReceipt
from schema.operation import run_mutation

FeedbackResult = Annotated[
    FeedbackReceipt | ValidationError | NotFound | InvalidState, strawberry.union("FeedbackResult")
]


@strawberry.type
class FeedbackMutation:
    @strawberry.mutation(
        description="Anyone holding the token from a feedback mail (the token is the credential): a rating from "
        "1 to 5 and an optional comment of up to 2000 characters, once per visit. An unknown token is NotFound; "
        "a second answer is InvalidState."
    )
    async def submit_feedback(self, info: Info, token: str, rating: int, comment: str | None = None) -> FeedbackResult:
        secret_key = info.context.state.secret_key
        return await run_mutation(
            info,
            lambda conn: submit_feedback(conn, secret_key, token, rating, comment),
            FeedbackReceipt.from_record,
        )
