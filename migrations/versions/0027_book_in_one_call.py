# ruff: noqa: E501  (the function's SQL, frozen as generated, keeps the fragments' lines)
"""book_in_one_call: the database function book_one, one person's booking on a free seat in one round trip

Revision ID: 0027_book_in_one_call
Revises: 0026_service_translations
Create Date: 2026-12-04 15:50:00

The one-person book path (the person's locks, their active bookings against the service's limit, the slot's row
lock, the seat, the booking with its history event and outbox row) as one PL/pgSQL function, each step a
statement of its own with its own READ COMMITTED snapshot taken after the lock it relies on; see
resolvers/booking/one_call.py, which builds the same text from the book path's SQL fragments (a test compares
the two, so a fragment that changes needs a migration replacing this function).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0027_book_in_one_call"
down_revision: str | None = "0026_service_translations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# frozen here as resolvers/booking/one_call.py built it at this revision
BOOK_ONE = r"""
CREATE OR REPLACE FUNCTION book_one(
    p_slot_id bigint,
    p_service_id bigint,
    p_lock_keys bigint[],
    p_document_hash bytea,
    p_email_hash bytea,
    p_phone_hash bytea,
    p_with_reserved boolean,
    p_seats integer,
    p_confirmation_required boolean,
    p_codes text[],
    p_status text,
    p_channel text,
    p_citizen_name text,
    p_citizen_email text,
    p_citizen_phone text,
    p_citizen_locale text,
    p_document_hint text,
    p_name_hash bytea,
    p_notes text,
    p_nonce bytea,
    p_token_hash bytea,
    p_staff_user_id bigint,
    p_partner_id bigint,
    p_confirm_minutes integer,
    p_party_size integer,
    p_actor text,
    p_idempotency_caller text,
    p_idempotency_key text
)
RETURNS TABLE (o_outcome text, o_active bigint, o_booking bookings)
LANGUAGE plpgsql VOLATILE
AS $book_one$
DECLARE
    v_key bigint;
    v_allowed integer;
    v_confirmation boolean;
    v_active bigint;
    v_seat record;
    v_code text;
    v_booking bookings;
BEGIN
    -- 1. the person's locks, in the array's (ascending) order
    FOREACH v_key IN ARRAY p_lock_keys LOOP
        PERFORM pg_advisory_xact_lock(v_key);
    END LOOP;
    -- 2. a statement after the locks: its snapshot has every booking of theirs that committed
    SELECT s.max_active_bookings_per_citizen, s.confirmation_required, (SELECT count(*) FROM (
        SELECT b.id FROM bookings b
        WHERE b.service_id = s.id AND b.status IN ('PENDING', 'BOOKED') AND b.ends_at > now()
          AND (b.document_hash = p_document_hash OR b.email_hash = p_email_hash OR b.phone_hash = p_phone_hash)
        UNION
        SELECT b.id FROM booking_companions c JOIN bookings b ON b.id = c.booking_id
        WHERE b.service_id = s.id AND b.status IN ('PENDING', 'BOOKED') AND b.ends_at > now()
          AND (c.document_hash = p_document_hash OR c.email_hash = p_email_hash OR c.phone_hash = p_phone_hash)
    ) AS theirs)
    INTO v_allowed, v_confirmation, v_active
    FROM services s WHERE s.id = p_service_id;
    IF v_confirmation IS DISTINCT FROM p_confirmation_required THEN
        RETURN QUERY SELECT 'confirmation'::text, v_active, NULL::bookings;  -- changed since read: the caller's path
        RETURN;
    END IF;
    IF v_active >= v_allowed THEN
        RETURN QUERY SELECT 'limit'::text, v_active, NULL::bookings;
        RETURN;
    END IF;
    -- 3. the slot's row, ours until commit
    PERFORM 1 FROM slots WHERE id = p_slot_id FOR UPDATE;
    -- 4. a statement after the lock: its snapshot has every seat taken or held before
    UPDATE slots SET booked = booked + p_seats
    WHERE id = (SELECT sl.id 
    FROM slots sl
    JOIN offices o ON o.id = sl.office_id
    JOIN services s ON s.id = sl.service_id
    WHERE sl.service_id = p_service_id AND sl.booked < sl.capacity AND NOT sl.closed AND sl.draw_id IS NULL
      AND sl.starts_at > now() AND sl.starts_at <= now() + make_interval(days => s.booking_window_days)
      AND sl.booked + (SELECT coalesce(sum(h.seats), 0) FROM slot_holds h WHERE h.slot_id = sl.id
        AND h.expires_at > clock_timestamp() - make_interval(secs => 60)
        AND (h.expires_at > clock_timestamp() OR (h.document_hash IS NULL AND NOT h.rerelease AND EXISTS (
            SELECT 1 FROM waitlist_entries w WHERE w.service_id = sl.service_id AND w.status = 'WAITING'))))
          + CASE WHEN CAST(p_with_reserved AS boolean) THEN 0 ELSE coalesce((SELECT ag.reserved_seats FROM agendas ag WHERE ag.id = sl.agenda_id
    AND sl.starts_at > now() + make_interval(hours => ag.reserved_until_hours)), 0) END + CAST(p_seats AS integer) <= sl.capacity
 AND sl.id = p_slot_id)
    RETURNING id, office_id, service_id, starts_at, ends_at INTO v_seat;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'unseated'::text, v_active, NULL::bookings;
        RETURN;
    END IF;
    -- 5. the booking on it, with the next code while a code is an open booking's
    FOREACH v_code IN ARRAY p_codes LOOP
        WITH 
    booking AS (
        INSERT INTO bookings (code, status, slot_id, office_id, service_id, starts_at, ends_at, channel, citizen_name,
            citizen_email, citizen_phone, citizen_locale, document_hash, document_hint, email_hash, phone_hash,
            name_hash, notes, manage_nonce, manage_token_hash, staff_user_id, partner_id, confirm_by, party_size)
        SELECT v_code, CAST(p_status AS booking_status), seat.id, seat.office_id, seat.service_id, seat.starts_at,
            seat.ends_at, CAST(p_channel AS channel), p_citizen_name, p_citizen_email, p_citizen_phone, p_citizen_locale,
            p_document_hash, p_document_hint, p_email_hash, p_phone_hash, p_name_hash, p_notes, p_nonce, p_token_hash,
            p_staff_user_id, p_partner_id,
            CASE WHEN p_status = 'PENDING' THEN least(now() + make_interval(mins => p_confirm_minutes), seat.starts_at)
            END,
            p_party_size
        FROM (SELECT v_seat.id AS id, v_seat.office_id AS office_id, v_seat.service_id AS service_id,
            v_seat.starts_at AS starts_at, v_seat.ends_at AS ends_at) AS seat
        ON CONFLICT (code) WHERE status IN ('PENDING', 'BOOKED', 'CHECKED_IN') DO NOTHING
        RETURNING *
    ),
    event AS (
        INSERT INTO booking_events (booking_id, status, channel, actor, note)
        SELECT id, status, channel, p_actor, notes FROM booking
    ),
    message AS (
        INSERT INTO outbox (kind, booking_id, event_facts)
        SELECT CASE WHEN status = 'PENDING' THEN 'booking.confirmation_request' ELSE 'booking.confirmation' END, id,
               CASE WHEN status <> 'PENDING' THEN (
        SELECT jsonb_build_object(
            'id', booking.id, 'partner_id', booking.partner_id, 'code', booking.code,
            'status', CAST(booking.status AS text), 'starts_at', booking.starts_at,
            'office_id', fo.id, 'office_name', fo.name, 'timezone', fo.timezone,
            'service_id', fs.id, 'service_name', fs.name, 'occurred_at', now(),
            'ticket_number', ft.number, 'desk_name', fd.name)
        FROM offices fo JOIN services fs ON fs.id = booking.service_id
        LEFT JOIN tickets ft ON ft.id = NULL
        LEFT JOIN desks fd ON fd.id = ft.desk_id
        WHERE fo.id = booking.office_id AND booking.partner_id IS NOT NULL
    ) END
        FROM booking
    )
        SELECT * INTO v_booking FROM booking;
        IF FOUND THEN
            IF p_idempotency_key IS NOT NULL THEN
                UPDATE idempotency_keys SET result = jsonb_build_object('booking_id', v_booking.id)
                WHERE caller = p_idempotency_caller AND key = p_idempotency_key;
            END IF;
            RETURN QUERY SELECT 'booked'::text, v_active, v_booking;
            RETURN;
        END IF;
    END LOOP;
    RAISE EXCEPTION 'could not find a free booking code';
END
$book_one$
"""

SIGNATURE = (
    "book_one(bigint, bigint, bigint[], bytea, bytea, bytea, boolean, integer, boolean, text[], text, text, text, text,"
    " text, text, text, bytea, text, bytea, bytea, bigint, bigint, integer, integer, text, text, text)"
)


def upgrade() -> None:
    op.execute(BOOK_ONE)


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
