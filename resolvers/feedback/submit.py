"""A citizen's rating of a visit, through the token from the feedback mail: once per visit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import InvalidStateError, NotFoundError
from core.validation import integer_range, optional_text
from models.notifications import Feedback
from resolvers.feedback.tokens import TOKEN_LENGTH, feedback_token_hash
from resolvers.rows import record_from_row

MAX_COMMENT = 2000
NOT_FOUND = "This feedback link is not valid."


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    office_id: int
    service_id: int
    rating: int
    comment: str | None
    submitted_at: datetime


async def submit_feedback(
    conn: AsyncConnection, secret_key: bytes, token: str, rating: int, comment: str | None
) -> FeedbackRecord:
    rating = integer_range("rating", rating, 1, 5)
    comment = optional_text("comment", comment, max_length=MAX_COMMENT, multiline=True)
    token = token.strip()
    if len(token) != TOKEN_LENGTH:
        raise NotFoundError(NOT_FOUND)
    token_hash = feedback_token_hash(secret_key, token)
    # Only an unanswered request takes the answer: of two concurrent submissions the second waits for the
    # first's row lock, re-checks `submitted_at` and updates nothing.
    answer = (
        update(Feedback)
        .where(Feedback.token_hash == token_hash, Feedback.submitted_at.is_(None))
        .values(rating=rating, comment=comment, submitted_at=func.now())
        .returning(Feedback.office_id, Feedback.service_id, Feedback.rating, Feedback.comment, Feedback.submitted_at)
    )
    row = (await conn.execute(answer)).mappings().first()
    if row is not None:
        return record_from_row(FeedbackRecord, row)
    if (await conn.execute(select(Feedback.id).where(Feedback.token_hash == token_hash))).scalar() is None:
        raise NotFoundError(NOT_FOUND)
    raise InvalidStateError("Feedback for this visit has already been given. Thank you!")
