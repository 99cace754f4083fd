"""The `Retry-After` an endpoint sends with 429 Too Many Requests or 503 Service Unavailable (RFC 9110 §10.2.3):
delay-seconds or an HTTP-date. An overloaded partner is given the time it asks for, never more than the
longest backoff: a far-off date must not park a delivery for days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from notifications.outbox import LONGEST_BACKOFF


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """The delay asked for, between zero and the longest backoff; None when there is no readable value."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        asked = timedelta(seconds=int(value[:9]))  # nine digits are already years: clamped below anyway
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        asked = (when if when.tzinfo else when.replace(tzinfo=UTC)) - now
    return min(max(asked, timedelta(0)), LONGEST_BACKOFF)
