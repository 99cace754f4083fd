"""An outbox row as the mails and webhooks read it, and when a failed one is tried again (claiming and
settling rows: resolvers/outbox/claims.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

LONGEST_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    kind: str
    booking_id: int | None
    payload: dict[str, Any]
    attempts: int
    # a webhook event's facts as its transaction stored them (resolvers/outbox/facts.py); None for other rows
    event_facts: dict[str, Any] | None = None
    # whether its webhook deliveries were already made (a row claimed again after a failed mail)
    fanned_out: bool = False


def backoff(attempts: int, base: timedelta = timedelta(seconds=30), cap: timedelta = LONGEST_BACKOFF) -> timedelta:
    """30 s, 1 min, 2 min, 4 min … up to 6 h: a dead SMTP server is not hammered, a blip costs seconds."""
    delay: timedelta = base * 2 ** max(attempts - 1, 0)
    return min(delay, cap)


def retry_or_give_up(attempts: int, max_attempts: int, base: timedelta) -> tuple[str, timedelta]:
    """After a failed try: PENDING again after the backoff, or FAILED once the tries are used up."""
    return ("FAILED" if attempts >= max_attempts else "PENDING"), backoff(attempts, base)
