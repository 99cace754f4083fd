"""The outbox's bookkeeping: claims that never overlap, retries that back off, reminders once, pruning."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import text

from core.runtime import AppState
from jobs.context import JobContext
from jobs.housekeeping import prune, queue_reminders
from notifications.outbox import backoff
from resolvers.outbox import claims as outbox
from tests.support.api import Api
from tests.support.booking import CANCEL, RESCHEDULE, book, bookable_slots, scalar


async def add_rows(state: AppState, count: int, kind: str = "test.kind") -> None:
    async with state.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO outbox (kind, payload)"
                " SELECT :kind, jsonb_build_object('n', n) FROM generate_series(1, :c) n"
            ),
            {"kind": kind, "c": count},
        )


async def test_claims_on_parallel_connections_never_take_the_same_row(state: AppState) -> None:
    await add_rows(state, 300)
    gate = asyncio.Event()

    async def claimer() -> list[int]:
        taken: list[int] = []
        await gate.wait()
        while True:
            async with state.engine.begin() as conn:
                rows = await outbox.claim(conn, 7)
                await asyncio.sleep(0.005)  # hold the row locks a moment, as a real claim would
            if not rows:
                return taken
            taken.extend(row.id for row in rows)

    tasks = [asyncio.create_task(claimer()) for _ in range(6)]
    gate.set()
    claims = await asyncio.gather(*tasks)

    everything = [row_id for taken in claims for row_id in taken]
    assert len(everything) == len(set(everything)) == 300
    assert sum(1 for taken in claims if taken) > 1  # they really ran side by side
    assert await scalar(state, "SELECT count(*) FROM outbox WHERE attempts = 1 AND next_attempt_at > now()") == 300


async def test_a_claimed_row_comes_due_again_only_when_its_lease_ends(state: AppState) -> None:
    await add_rows(state, 1)
    async with state.engine.begin() as conn:
        assert len(await outbox.claim(conn, 10, lease=timedelta(seconds=1))) == 1
    async with state.engine.begin() as conn:
        assert await outbox.claim(conn, 10) == []  # a worker is (or was) sending it
    await asyncio.sleep(1.1)
    async with state.engine.begin() as conn:
        again = await outbox.claim(conn, 10)  # that worker died: the row is not lost
    assert [row.attempts for row in again] == [2]


async def test_failures_back_off_then_give_up_with_the_last_error(state: AppState) -> None:
    await add_rows(state, 1)
    statuses = []
    for _ in range(3):
        async with state.engine.begin() as conn:
            await conn.execute(text("UPDATE outbox SET next_attempt_at = now()"))
            (row,) = await outbox.claim(conn, 1)
            statuses.append(await outbox.mark_failed(conn, row, f"SMTP 451 on try {row.attempts}", max_attempts=3))
    assert statuses == ["PENDING", "PENDING", "FAILED"]
    assert await scalar(state, "SELECT last_error FROM outbox") == "SMTP 451 on try 3"
    async with state.engine.begin() as conn:
        await conn.execute(text("UPDATE outbox SET next_attempt_at = now()"))
        assert await outbox.claim(conn, 1) == []  # FAILED stays for an admin, never retried by itself
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(40) == timedelta(hours=6)


async def test_reminders_are_queued_once_for_open_bookings_entering_the_window(
    api: Api, admin_token: str, state: AppState
) -> None:
    slots = await bookable_slots(api, admin_token, slots_per_day=4)
    codes = []
    for number, slot_id in enumerate(slots):
        confirmation = await book(api, slot_id, citizen={"name": "Ana", "documentId": f"3000000{number}"})
        codes.append((confirmation["booking"]["code"], confirmation["manageToken"]))
    # all four were booked a week ago; three start within the next 24 hours, the fourth in 30
    async with state.engine.begin() as conn:
        await conn.execute(text("UPDATE bookings SET created_at = now() - interval '7 days'"))
        for (code, _), hours in zip(codes, (2, 20, 23, 30), strict=True):
            await conn.execute(
                text("UPDATE bookings SET starts_at = now() + :h WHERE code = :c"),
                {"h": timedelta(hours=hours), "c": code},
            )
    cancelled, booked_late = codes[0], codes[1]
    await api.run(CANCEL, {"c": cancelled[0], "t": cancelled[1]})
    async with state.engine.begin() as conn:
        await conn.execute(text("UPDATE bookings SET created_at = now() WHERE code = :c"), {"c": booked_late[0]})
    context: JobContext = {"turnero_state": state}

    assert await queue_reminders(context) == {"queued": 1}  # only the third: open, inside, booked before
    assert await queue_reminders(context) == {"queued": 0}
    reminded = await scalar(
        state, "SELECT b.code FROM outbox o JOIN bookings b ON b.id = o.booking_id WHERE o.kind = 'booking.reminder'"
    )
    assert reminded == codes[2][0]

    # moving the booking earns a reminder for the new time
    other_slot = await scalar(state, "SELECT slot_id FROM bookings WHERE code = :c", c=codes[3][0])
    async with state.engine.begin() as conn:  # free that seat for the move
        await conn.execute(text("UPDATE bookings SET status = 'CANCELLED' WHERE code = :c"), {"c": codes[3][0]})
        await conn.execute(text("UPDATE slots SET booked = 0 WHERE id = :s"), {"s": other_slot})
    moved = await api.run(RESCHEDULE, {"c": codes[2][0], "s": str(other_slot), "t": codes[2][1]})
    assert moved["rescheduleBooking"]["__typename"] == "BookingConfirmation", moved
    async with state.engine.begin() as conn:
        await conn.execute(
            text("UPDATE bookings SET starts_at = now() + interval '12 hours' WHERE code = :c"), {"c": codes[2][0]}
        )
    assert await queue_reminders(context) == {"queued": 1}


async def test_pruning_keeps_what_is_still_useful(state: AppState) -> None:
    await add_rows(state, 4)
    async with state.engine.begin() as conn:
        await conn.execute(
            text("""UPDATE outbox SET status = CASE WHEN id <= 2 THEN 'SENT' ELSE 'FAILED' END,
                    created_at = now() - CASE WHEN id % 2 = 1 THEN interval '40 days' ELSE interval '100 days' END""")
        )
        await conn.execute(
            text("""INSERT INTO idempotency_keys (caller, key, operation, request_hash, created_at)
                    VALUES ('citizen', 'old', 'book', '\\x00', now() - interval '3 days'),
                           ('citizen', 'new', 'book', '\\x00', now() - interval '3 hours')""")
        )
    context: JobContext = {"turnero_state": state}

    pruned = await prune(context)

    assert pruned == {"idempotency_keys": 1, "outbox": 3, "webhook_deliveries": 0, "slot_holds": 0}
    # the FAILED row of 40 days stays for an admin to look at
    assert await scalar(state, "SELECT string_agg(status, ',') FROM outbox") == "FAILED"
    assert await scalar(state, "SELECT string_agg(key, ',') FROM idempotency_keys") == "new"


OUTBOX = "query($s: String!) { outboxMessages(status: $s) { id kind status attempts lastError } }"
RETRY = """mutation($id: ID!) { retryOutboxMessage(id: $id) { __typename
    ... on OutboxMessage { status attempts } ... on UserError { code } } }"""


async def test_admins_see_failed_messages_and_send_them_again(api: Api, admin_token: str, state: AppState) -> None:
    await add_rows(state, 2)
    async with state.engine.begin() as conn:
        await conn.execute(
            text("UPDATE outbox SET status = 'FAILED', attempts = 8, last_error = 'SMTP 550' WHERE id = 1")
        )
    clerk = await api.staff_token(admin_token, "clerk", "CLERK", await api.office(admin_token))

    failed = (await api.run(OUTBOX, {"s": "FAILED"}, admin_token))["outboxMessages"]
    assert failed == [{"id": "1", "kind": "test.kind", "status": "FAILED", "attempts": 8, "lastError": "SMTP 550"}]
    refused = await api.post(OUTBOX, {"s": "FAILED"}, clerk)
    assert refused.json()["errors"][0]["extensions"]["code"] == "NOT_ALLOWED"
    assert (await api.post(OUTBOX, {"s": "LOST"}, admin_token)).json()["errors"][0]["extensions"]["code"] == (
        "BAD_REQUEST"
    )

    assert (await api.run(RETRY, {"id": "1"}, clerk))["retryOutboxMessage"]["__typename"] == "NotAllowed"
    assert (await api.run(RETRY, {"id": "2"}, admin_token))["retryOutboxMessage"]["code"] == "INVALID_STATE"
    assert (await api.run(RETRY, {"id": "99"}, admin_token))["retryOutboxMessage"]["code"] == "NOT_FOUND"
    retried = (await api.run(RETRY, {"id": "1"}, admin_token))["retryOutboxMessage"]
    assert retried == {"__typename": "OutboxMessage", "status": "PENDING", "attempts": 0}
    async with state.engine.begin() as conn:
        assert [row.id for row in await outbox.claim(conn, 10)] == [1, 2]
