"""A webhook event's facts, taken in the transaction that raised it and stored with its outbox row.

Partners are told what was true when the event happened: a booking.created delivery sent after a cancel still
says BOOKED. The facts are read by the very statement that writes the outbox row, from the booking row as this
transaction sees it (after its own change), so they are the committed state of that moment; the worker renders
the payload from them (notifications/webhooks/events.py) and never reads the booking again.

No citizen data: the booking's code, status, times and partner, the office's and service's names, and the
ticket's number and desk. Retention needs nothing special for them.
"""

from __future__ import annotations

from notifications.webhooks.events import EVENT_BY_KIND

# the outbox kinds that are webhook events, as an SQL list: only their rows carry facts
WEBHOOK_KINDS_SQL = "(" + ", ".join(f"'{kind}'" for kind in EVENT_BY_KIND) + ")"


def facts_sql(booking: str, ticket_id: str = "NULL") -> str:
    """Native SQL: a jsonb expression of the event's facts, from the booking row `booking` (a table alias or a
    data-modifying CTE's RETURNING row: a booking just inserted or changed by this very statement is seen as
    changed) and the ticket `ticket_id` (an SQL expression, NULL when the event has none). occurred_at is the
    transaction's time, the outbox row's created_at. NULL for a booking no partner made: nobody would be told,
    and most bookings are such."""
    return f"""(
        SELECT jsonb_build_object(
            'id', {booking}.id, 'partner_id', {booking}.partner_id, 'code', {booking}.code,
            'status', CAST({booking}.status AS text), 'starts_at', {booking}.starts_at,
            'office_id', fo.id, 'office_name', fo.name, 'timezone', fo.timezone,
            'service_id', fs.id, 'service_name', fs.name, 'occurred_at', now(),
            'ticket_number', ft.number, 'desk_name', fd.name)
        FROM offices fo JOIN services fs ON fs.id = {booking}.service_id
        LEFT JOIN tickets ft ON ft.id = {ticket_id}
        LEFT JOIN desks fd ON fd.id = ft.desk_id
        WHERE fo.id = {booking}.office_id AND {booking}.partner_id IS NOT NULL
    )"""
