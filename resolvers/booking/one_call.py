"""One person's booking on a free seat in one round trip: the database function `book_one` (migration
0027_book_in_one_call), built here from the very SQL fragments the statements of the book path use.

What it runs, in order, each a statement of its own inside the function:
1. the person's advisory locks (identity.lock_keys, ascending: two bookings sharing a key queue on it);
2. the person's active bookings of the service (book._THEIRS) and the service's limit;
3. the slot's row lock (every taker and giver of its seats serialises on it);
4. the seat (seats.LOCKED's rule: free, open, future, in the window, holds and kept-back seats counted);
5. the booking, its first history event and its outbox row (book._booking_ctes), again with the next code
   while a code is an open booking's; and the idempotency key's result where one was claimed.

Why the guarantees hold as they do with separate statements from the client: under READ COMMITTED a VOLATILE
function (the default) takes a fresh snapshot at the start of each statement it runs, not the calling
statement's one (PostgreSQL's "Function Volatility Categories"). So the count of step 2 is read after the locks
of step 1 are ours and sees every booking of the person that committed before, and none can commit meanwhile;
the seat of step 4 is counted after the slot's lock of step 3, and sees every seat taken or held before. The
CHECK on `booked <= capacity` stays the last line. A refusal returns an outcome and leaves the rest undone; the
caller's transaction rolls back whatever the function did (the locks only).

The function's SQL is the Python's: `FUNCTION_BODY` below is what the migration installed, and
tests/booking/test_book_one_call.py compares it with the function in the database, so a change of a fragment
(the seat rule, the limit's count, the outbox facts) fails the tests until a migration replaces the function.
"""

from __future__ import annotations

import re

from sqlalchemy import text

from resolvers.booking import seats
from resolvers.booking.fragments import THEIRS, booking_ctes

# the function's parameters (each `:name` of the fragments becomes `p_name`; `:code` is the loop's variable)
PARAMETERS = (
    ("p_slot_id", "bigint"),
    ("p_service_id", "bigint"),
    ("p_lock_keys", "bigint[]"),
    ("p_document_hash", "bytea"),
    ("p_email_hash", "bytea"),
    ("p_phone_hash", "bytea"),
    ("p_with_reserved", "boolean"),
    ("p_seats", "integer"),
    ("p_confirmation_required", "boolean"),
    ("p_codes", "text[]"),
    ("p_status", "text"),
    ("p_channel", "text"),
    ("p_citizen_name", "text"),
    ("p_citizen_email", "text"),
    ("p_citizen_phone", "text"),
    ("p_citizen_locale", "text"),
    ("p_document_hint", "text"),
    ("p_name_hash", "bytea"),
    ("p_notes", "text"),
    ("p_nonce", "bytea"),
    ("p_token_hash", "bytea"),
    ("p_staff_user_id", "bigint"),
    ("p_partner_id", "bigint"),
    ("p_confirm_minutes", "integer"),
    ("p_party_size", "integer"),
    ("p_actor", "text"),
    ("p_idempotency_caller", "text"),
    ("p_idempotency_key", "text"),
)

_NAMED = re.compile(r"(?<![:\w]):([a-z_]+)\b")


def _plpgsql(sql: str) -> str:
    """A fragment's `:name` parameters as the function's: `p_name` (`:code`: the code being tried)."""
    return _NAMED.sub(lambda m: "v_code" if m.group(1) == "code" else f"p_{m.group(1)}", sql)


def _body() -> str:
    seat = (
        "(SELECT v_seat.id AS id, v_seat.office_id AS office_id, v_seat.service_id AS service_id,\n"
        "            v_seat.starts_at AS starts_at, v_seat.ends_at AS ends_at) AS seat"
    )
    return _plpgsql(f"""
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
    FOREACH v_key IN ARRAY :lock_keys LOOP
        PERFORM pg_advisory_xact_lock(v_key);
    END LOOP;
    -- 2. a statement after the locks: its snapshot has every booking of theirs that committed
    SELECT s.max_active_bookings_per_citizen, s.confirmation_required, {THEIRS}
    INTO v_allowed, v_confirmation, v_active
    FROM services s WHERE s.id = :service_id;
    IF v_confirmation IS DISTINCT FROM :confirmation_required THEN
        RETURN QUERY SELECT 'confirmation'::text, v_active, NULL::bookings;  -- changed since read: the caller's path
        RETURN;
    END IF;
    IF v_active >= v_allowed THEN
        RETURN QUERY SELECT 'limit'::text, v_active, NULL::bookings;
        RETURN;
    END IF;
    -- 3. the slot's row, ours until commit
    PERFORM 1 FROM slots WHERE id = :slot_id FOR UPDATE;
    -- 4. a statement after the lock: its snapshot has every seat taken or held before
    UPDATE slots SET booked = booked + :seats
    WHERE id = (SELECT sl.id {seats.LOCKED} AND sl.id = :slot_id)
    RETURNING id, office_id, service_id, starts_at, ends_at INTO v_seat;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'unseated'::text, v_active, NULL::bookings;
        RETURN;
    END IF;
    -- 5. the booking on it, with the next code while a code is an open booking's
    FOREACH v_code IN ARRAY :codes LOOP
        WITH {booking_ctes(seat)}
        SELECT * INTO v_booking FROM booking;
        IF FOUND THEN
            IF :idempotency_key IS NOT NULL THEN
                UPDATE idempotency_keys SET result = jsonb_build_object('booking_id', v_booking.id)
                WHERE caller = :idempotency_caller AND key = :idempotency_key;
            END IF;
            RETURN QUERY SELECT 'booked'::text, v_active, v_booking;
            RETURN;
        END IF;
    END LOOP;
    RAISE EXCEPTION 'could not find a free booking code';
END
""")


FUNCTION_BODY = _body()

SIGNATURE = "book_one(\n    " + ",\n    ".join(f"{name} {kind}" for name, kind in PARAMETERS) + "\n)"

CREATE = f"""CREATE OR REPLACE FUNCTION {SIGNATURE}
RETURNS TABLE (o_outcome text, o_active bigint, o_booking bookings)
LANGUAGE plpgsql VOLATILE
AS $book_one${FUNCTION_BODY}$book_one$"""

# Native SQL: a set-returning function called with named arguments, its composite booking row expanded.
# The call: the outcome (booked, limit, unseated, confirmation), the person's active bookings before this one,
# and the booking's columns with its office's time zone (NULL but for `booked`), as every booking is read.
CALL = text(
    "SELECT r.o_outcome AS outcome, r.o_active AS active, (r.o_booking).*, o.timezone"
    " FROM book_one("
    + ", ".join(f"{name} => CAST(:{name[2:]} AS {kind})" for name, kind in PARAMETERS)
    + ") AS r LEFT JOIN offices o ON o.id = (r.o_booking).office_id"
)
