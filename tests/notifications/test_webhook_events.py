"""Issue 17, part 1: webhook payloads of the event's own moment, delivered in event order under retries (also
through the real worker process), the old type names behind a per-endpoint setting, and a partner's own event
list and replay."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest

from core.runtime import AppState
from core.settings import Settings
from jobs.webhooks import deliver_due
from notifications.webhooks.delivery import DeliveryReport
from resolvers.outbox import claims as outbox
from resolvers.webhooks.dispatch import claim_due
from resolvers.webhooks.fanout import fan_out
from tests.notifications.test_webhooks import PARTNER, execute, fan_out_due, issue_key, partner_token, register, tuned
from tests.notifications.test_worker_outbox import wait_until, worker, worker_env
from tests.support.api import Api
from tests.support.booking import CANCEL, book, bookable_slots, citizen, scalar
from tests.support.mail_sink import smtp_sink
from tests.support.webhook_receiver import Received, webhook_receiver

EVENTS = """query($e: ID!, $a: ID, $l: Int! = 50) { webhookEvents(endpointId: $e, after: $a, limit: $l) {
    id messageId type occurredAt payload status deliveredAt } }"""
REPLAY = """mutation($e: ID!, $a: ID) { replayWebhookEvents(endpointId: $e, after: $a) { __typename
    ... on WebhookReplay { endpointId replayed } ... on UserError { code message } } }"""
LEGACY = """mutation($id: ID!, $l: Boolean!) { setWebhookLegacyEventNames(id: $id, legacyEventNames: $l) {
    __typename ... on WebhookEndpoint { id legacyEventNames } ... on UserError { code } } }"""
CLOSURE = """mutation($i: ClosureInput!) { addClosure(input: $i) { __typename ... on UserError { code } } }"""
BOTH = ("BOOKING_CREATED", "BOOKING_CANCELLED")
LEASE = timedelta(minutes=1)


@pytest.fixture
async def slots(api: Api, admin_token: str) -> list[str]:
    return await bookable_slots(api, admin_token)


def body(request: Received) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(request.body)
    return event


def types(requests: list[Received]) -> list[str]:
    return [body(request)["type"] for request in requests]


async def book_and_cancel(api: Api, token: str, slot_id: str) -> str:
    code: str = (await book(api, slot_id, token))["booking"]["code"]
    cancelled = (await api.run(CANCEL, {"c": code}, token))["cancelBooking"]
    assert cancelled["__typename"] == "Booking", cancelled
    return code


async def test_each_payload_carries_the_state_of_its_own_moment(
    api: Api, admin_token: str, state: AppState, slots: list[str]
) -> None:
    token = await partner_token(api, admin_token)
    async with webhook_receiver() as receiver:
        await register(api, admin_token, receiver.url, BOTH)
        code = await book_and_cancel(api, token, slots[0])  # both before the worker fans anything out
        # the office and service renamed afterwards: an event tells what they were called when it happened
        await execute(state, "UPDATE offices SET name = 'Renamed'")
        added = await fan_out_due(state)
        await deliver_due(state)
        await deliver_due(state)

    assert added == 2
    created, cancelled = (body(request) for request in receiver.requests)
    assert (created["type"], created["data"]["status"]) == ("booking.created", "BOOKED")
    assert (cancelled["type"], cancelled["data"]["status"]) == ("booking.cancelled", "CANCELLED")
    assert created["data"]["code"] == cancelled["data"]["code"] == code
    assert created["data"]["office"]["name"] == "Office centro"
    assert created["timestamp"] <= cancelled["timestamp"]
    facts = await scalar(state, "SELECT event_facts::text FROM outbox WHERE kind = 'booking.confirmation'")
    for personal in ("Ana", "example.org", "555", "3012"):  # the stored facts hold no citizen data either
        assert personal not in facts


async def test_a_closure_stores_the_facts_of_its_moment_and_only_for_partners(
    api: Api, admin_token: str, state: AppState, slots: list[str]
) -> None:
    token = await partner_token(api, admin_token)
    booked = (await book(api, slots[0], token))["booking"]
    await book(api, slots[1], None, citizen=citizen("40111222"))  # a citizen's own: nobody to tell, no facts
    day = booked["startsAt"][:10]  # the office's local date: startsAt carries the office's offset

    closure = (await api.run(CLOSURE, {"i": {"date": day, "reason": "Feriado"}}, admin_token))["addClosure"]
    stored = await scalar(
        state,
        "SELECT string_agg(kind || ':' || (event_facts ->> 'status'), ',' ORDER BY id) FROM outbox"
        " WHERE event_facts IS NOT NULL",
    )

    assert closure["__typename"] == "Closure", closure
    assert stored == "booking.confirmation:BOOKED,booking.cancellation:CANCELLED"


async def test_a_later_delivery_waits_while_an_earlier_one_is_retried(
    api: Api, admin_token: str, state: AppState, slots: list[str]
) -> None:
    token = await partner_token(api, admin_token)
    quick = tuned(state, retry_base_seconds=0.05)
    async with webhook_receiver([500]) as receiver, webhook_receiver() as other:
        await register(api, admin_token, receiver.url, BOTH)
        await register(api, admin_token, other.url, BOTH)  # another endpoint: nothing of it waits
        await book_and_cancel(api, token, slots[0])
        await fan_out_due(state)
        first = await deliver_due(quick)
        await asyncio.sleep(0.2)
        second = await deliver_due(quick)
        third = await deliver_due(quick)

    # the failing endpoint's cancellation waits for its creation; the other endpoint's creation goes at once
    assert first == DeliveryReport(sent=1, retrying=1)
    assert types(other.requests) == ["booking.created", "booking.cancelled"]
    # then the retried creation and the other's cancellation; the failing endpoint's cancellation only after
    assert (second, third) == (DeliveryReport(sent=2), DeliveryReport(sent=1))
    assert types(receiver.requests) == ["booking.created", "booking.created", "booking.cancelled"]
    failed, retried, _ = receiver.requests
    assert failed.headers["webhook-id"] == retried.headers["webhook-id"]
    sent_order = await scalar(
        state,
        "SELECT string_agg(event_type, ',' ORDER BY delivered_at) FROM webhook_deliveries d "
        "JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE e.url = :url",
        url=receiver.url,
    )
    assert sent_order == "booking.created,booking.cancelled"


async def test_a_delivery_that_gave_up_holds_nothing_back(
    api: Api, admin_token: str, state: AppState, slots: list[str]
) -> None:
    token = await partner_token(api, admin_token)
    once = tuned(state, webhook_max_attempts=1)
    async with webhook_receiver([500]) as receiver:
        await register(api, admin_token, receiver.url, BOTH)
        await book_and_cancel(api, token, slots[0])
        await fan_out_due(state)
        first = await deliver_due(once)
        second = await deliver_due(once)

    assert (first, second) == (DeliveryReport(failed=1), DeliveryReport(sent=1))
    assert types(receiver.requests) == ["booking.created", "booking.cancelled"]


async def test_two_workers_claiming_at_once_never_send_the_later_event_first(
    api: Api, admin_token: str, state: AppState, slots: list[str]
) -> None:
    token = await partner_token(api, admin_token)
    await register(api, admin_token, "http://127.0.0.1:9/hooks", BOTH)
    await book_and_cancel(api, token, slots[0])
    await fan_out_due(state)
    # two claims in two open transactions: the first takes the creation (and must not take the cancellation)
    async with state.engine.connect() as one, state.engine.connect() as two:
        first = await one.begin()
        taken_by_one = await claim_due(one, 10, LEASE)
        second = await two.begin()
        taken_by_two = await claim_due(two, 10, LEASE)
        await second.commit()
        await first.commit()

    assert [delivery.payload["type"] for delivery in taken_by_one] == ["booking.created"]
    assert taken_by_two == []


async def test_a_delivery_waits_for_an_earlier_event_not_yet_fanned_out(
    api: Api, admin_token: str, state: AppState, slots: list[str]
) -> None:
    """Two workers fan out one booking's two events: the later one's fan-out may commit first."""
    token = await partner_token(api, admin_token)
    await register(api, admin_token, "http://127.0.0.1:9/hooks", BOTH)
    await book_and_cancel(api, token, slots[0])
    async with state.engine.begin() as conn:
        created, cancellation = await outbox.claim(conn, 10)
        await fan_out(conn, cancellation)
    async with state.engine.begin() as conn:
        before = await claim_due(conn, 10, LEASE)
    async with state.engine.begin() as conn:
        await fan_out(conn, created)
    async with state.engine.begin() as conn:
        after = await claim_due(conn, 10, LEASE)

    assert before == []
    assert [delivery.payload["type"] for delivery in after] == ["booking.created"]


async def test_an_endpoint_may_ask_for_the_old_type_names(
    api: Api, admin_token: str, state: AppState, slots: list[str]
) -> None:
    token = await partner_token(api, admin_token)
    async with webhook_receiver() as legacy, webhook_receiver() as current:
        old = await register(api, admin_token, legacy.url, BOTH, partner=PARTNER, legacyEventNames=True)
        new = await register(api, admin_token, current.url, BOTH)
        await book(api, slots[0], token)
        await fan_out_due(state)
        await deliver_due(state)
        switched = (await api.run(LEGACY, {"id": old["endpoint"]["id"], "l": False}, admin_token))[
            "setWebhookLegacyEventNames"
        ]
        refused = (await api.run(LEGACY, {"id": old["endpoint"]["id"], "l": True}, token))["setWebhookLegacyEventNames"]
        again = await book(api, slots[1], token, citizen=citizen("40111223"))
        await fan_out_due(state)
        await deliver_due(state)

    assert again["__typename"] == "BookingConfirmation", again
    assert types(legacy.requests) == ["BOOKING_CREATED", "booking.created"]
    assert types(current.requests) == ["booking.created", "booking.created"]
    assert new["endpoint"]["eventTypes"] == list(BOTH)  # how partners subscribe is unchanged
    assert switched == {"__typename": "WebhookEndpoint", "id": old["endpoint"]["id"], "legacyEventNames": False}
    assert refused["__typename"] == "NotAllowed"
    stored = await scalar(state, "SELECT array_agg(DISTINCT event_type) FROM webhook_deliveries")
    assert stored == ["booking.created"]


async def test_a_partner_lists_its_own_events_and_no_one_else_may(
    api: Api, admin_token: str, state: AppState, slots: list[str]
) -> None:
    token = await partner_token(api, admin_token)
    reader_only = await issue_key(api, admin_token, ["bookings:write"])
    other = await issue_key(api, admin_token, partner="Otra aplicación")
    async with webhook_receiver() as receiver:
        registration = await register(api, admin_token, receiver.url, BOTH)
        endpoint_id = registration["endpoint"]["id"]
        code = await book_and_cancel(api, token, slots[0])
        await fan_out_due(state)
        await deliver_due(state)
        await deliver_due(state)

    listed = (await api.run(EVENTS, {"e": endpoint_id}, token))["webhookEvents"]
    by_admin = (await api.run(EVENTS, {"e": endpoint_id}, admin_token))["webhookEvents"]
    page = (await api.run(EVENTS, {"e": endpoint_id, "l": 1}, token))["webhookEvents"]
    next_page = (await api.run(EVENTS, {"e": endpoint_id, "a": page[0]["id"]}, token))["webhookEvents"]
    refusals = [
        (await api.post(EVENTS, {"e": endpoint_id}, other["token"])).json(),
        (await api.post(EVENTS, {"e": endpoint_id}, reader_only["token"])).json(),
        (await api.post(EVENTS, {"e": endpoint_id})).json(),
        (await api.post(EVENTS, {"e": "999999"}, token)).json(),  # nor whether an endpoint exists
    ]
    bad_cursor = (await api.post(EVENTS, {"e": endpoint_id, "a": "999999"}, token)).json()

    assert listed == by_admin
    assert [event["type"] for event in listed] == ["BOOKING_CREATED", "BOOKING_CANCELLED"]
    assert [event["status"] for event in listed] == ["SENT", "SENT"]
    assert [json.loads(event["payload"])["data"]["status"] for event in listed] == ["BOOKED", "CANCELLED"]
    assert [event["payload"].encode() for event in listed] == [request.body for request in receiver.requests]
    assert [event["messageId"] for event in listed] == [r.headers["webhook-id"] for r in receiver.requests]
    assert json.loads(listed[0]["payload"])["data"]["code"] == code
    assert (page, next_page) == (listed[:1], listed[1:])
    for refused in refusals:
        assert refused["errors"][0]["extensions"]["code"] == "NOT_ALLOWED", refused
    assert bad_cursor["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_replay_sends_the_same_payload_and_webhook_id_again(
    api: Api, admin_token: str, state: AppState, slots: list[str]
) -> None:
    token = await partner_token(api, admin_token)
    other = await issue_key(api, admin_token, partner="Otra aplicación")
    async with webhook_receiver() as receiver:
        registration = await register(api, admin_token, receiver.url, BOTH)
        endpoint_id = registration["endpoint"]["id"]
        await book_and_cancel(api, token, slots[0])
        await fan_out_due(state)
        await deliver_due(state)
        await deliver_due(state)
        await execute(state, "UPDATE offices SET name = 'Renamed'")  # a replay renders nothing anew
        first = (await api.run(EVENTS, {"e": endpoint_id}, token))["webhookEvents"][0]
        refused = (await api.run(REPLAY, {"e": endpoint_id}, other["token"]))["replayWebhookEvents"]
        replayed = (await api.run(REPLAY, {"e": endpoint_id, "a": first["id"]}, token))["replayWebhookEvents"]
        await deliver_due(state)
        everything = (await api.run(REPLAY, {"e": endpoint_id}, admin_token))["replayWebhookEvents"]
        await deliver_due(state)
        await deliver_due(state)

    assert refused["__typename"] == "NotAllowed"
    assert replayed == {"__typename": "WebhookReplay", "endpointId": endpoint_id, "replayed": 1}
    assert everything["replayed"] == 2
    created, cancelled, again, *all_again = receiver.requests
    assert (again.headers["webhook-id"], again.body) == (cancelled.headers["webhook-id"], cancelled.body)
    assert [(r.headers["webhook-id"], r.body) for r in all_again] == [
        (r.headers["webhook-id"], r.body) for r in (created, cancelled)
    ]
    assert b"Renamed" not in b"".join(r.body for r in receiver.requests)


@pytest.mark.slow
async def test_through_the_worker_a_failing_endpoint_gets_created_before_cancelled_each_once(
    api: Api, admin_token: str, state: AppState, settings: Settings
) -> None:
    """Issue 17's done-when: a real worker process, a receiver that fails the first delivery, a booking
    cancelled right after it was made."""
    token = await partner_token(api, admin_token)
    (slot_id, *_) = await bookable_slots(api, admin_token)
    async with webhook_receiver([500]) as receiver:
        await register(api, admin_token, receiver.url, BOTH)
        with smtp_sink() as sink:
            code = await book_and_cancel(api, token, slot_id)
            env = worker_env(settings, sink, TURNERO_RETRY_BASE_SECONDS="0.5")
            with worker(env):
                await wait_until(state, "SELECT count(*) FROM webhook_deliveries WHERE status = 'SENT'", 2)
                await asyncio.sleep(2)  # time for anything sent twice to arrive

    failed, *received = receiver.requests
    assert body(failed)["type"] == "booking.created"
    assert types(received) == ["booking.created", "booking.cancelled"]  # in order, each once
    assert failed.headers["webhook-id"] == received[0].headers["webhook-id"]  # the retry of the failed one
    assert len({request.headers["webhook-id"] for request in received}) == 2
    created, cancelled = (body(request)["data"] for request in received)
    assert (created["code"], created["status"]) == (code, "BOOKED")
    assert (cancelled["code"], cancelled["status"]) == (code, "CANCELLED")
