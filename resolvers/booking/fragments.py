"""The book path's SQL fragments shared by its statements (book.py) and by the database function that runs the
one-person path in one round trip (one_call.py)."""

from __future__ import annotations

from models.booking import ACTIVE_STATUSES, OPEN_STATUSES
from resolvers.outbox.facts import facts_sql

# A booking counts against a person when any of the three keys matches, the holder's or a companion's: a new
# document number does not make a new person when the e-mail or phone is one already booked with. Two branches
# (not one OR over a subquery) so each reads its own indexes: the holders' three, the companions' three.
# Native SQL: a hot statement of the book path, whose UNION of two index-shaped branches is the point.
THEIRS = f"""(SELECT count(*) FROM (
        SELECT b.id FROM bookings b
        WHERE b.service_id = s.id AND b.status IN {ACTIVE_STATUSES} AND b.ends_at > now()
          AND (b.document_hash = :document_hash OR b.email_hash = :email_hash OR b.phone_hash = :phone_hash)
        UNION
        SELECT b.id FROM booking_companions c JOIN bookings b ON b.id = c.booking_id
        WHERE b.service_id = s.id AND b.status IN {ACTIVE_STATUSES} AND b.ends_at > now()
          AND (c.document_hash = :document_hash OR c.email_hash = :email_hash OR c.phone_hash = :phone_hash)
    ) AS theirs)"""


# The booking, its first history event and its mail in the outbox, in one statement, on the seat `seat` (a row
# of id, office_id, service_id, starts_at, ends_at: the slot's). A PENDING booking's mail asks for the
# confirmation, by the deadline (never later than the appointment itself).
# Native SQL: the book path's one round trip, three inserts in data-modifying CTEs against the open-code index.
def booking_ctes(seat: str) -> str:
    return f"""
    booking AS (
        INSERT INTO bookings (code, status, slot_id, office_id, service_id, starts_at, ends_at, channel, citizen_name,
            citizen_email, citizen_phone, citizen_locale, document_hash, document_hint, email_hash, phone_hash,
            name_hash, notes, manage_nonce, manage_token_hash, staff_user_id, partner_id, confirm_by, party_size)
        SELECT :code, CAST(:status AS booking_status), seat.id, seat.office_id, seat.service_id, seat.starts_at,
            seat.ends_at, CAST(:channel AS channel), :citizen_name, :citizen_email, :citizen_phone, :citizen_locale,
            :document_hash, :document_hint, :email_hash, :phone_hash, :name_hash, :notes, :nonce, :token_hash,
            :staff_user_id, :partner_id,
            CASE WHEN :status = 'PENDING' THEN least(now() + make_interval(mins => :confirm_minutes), seat.starts_at)
            END,
            :party_size
        FROM {seat}
        ON CONFLICT (code) WHERE status IN {OPEN_STATUSES} DO NOTHING
        RETURNING *
    ),
    event AS (
        INSERT INTO booking_events (booking_id, status, channel, actor, note)
        SELECT id, status, channel, :actor, notes FROM booking
    ),
    message AS (
        INSERT INTO outbox (kind, booking_id, event_facts)
        SELECT CASE WHEN status = 'PENDING' THEN 'booking.confirmation_request' ELSE 'booking.confirmation' END, id,
               CASE WHEN status <> 'PENDING' THEN {facts_sql("booking")} END
        FROM booking
    )"""
