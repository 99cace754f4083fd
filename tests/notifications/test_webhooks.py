"""Partner webhooks end to end: registration, fan-out from the outbox, signed delivery to a real local HTTP
server, retries, the delivery log, and partner key scopes."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from core.runtime import AppState
from jobs import webhooks
from jobs.webhooks import deliver_due
from notifications.webhooks.delivery import DeliveryReport
from notifications.webhooks.retry_after import retry_after
from resolvers.outbox import claims as outbox
from resolvers.queue.sweep import sweep_no_shows
from resolvers.webhooks.fanout import fan_out
from tests.support.api import Api
from tests.support.booking import CANCEL, book, bookable_slots, citizen, scalar
from tests.support.front_desk import booking_due_in, front_desk, ticket_pk
from tests.support.webhook_receiver import verify, webhook_receiver

PARTNER = "Portal ciudadano"
ISSUE_KEY = """mutation($p: String!, $s: [String!]) { issuePartnerKey(partner: $p, name: "prod", scopes: $s) {
    __typename ... on PartnerKey { token scopes } ... on ValidationError { field } ... on UserError { code } } }"""
REGISTER = """mutation($i: WebhookEndpointInput!) { registerWebhookEndpoint(input: $i) { __typename
    ... on WebhookEndpointRegistration { secret endpoint { id partnerId partner url eventTypes active } }
    ... on ValidationError { field message } ... on UserError { code message } } }"""
DEACTIVATE = """mutation($id: ID!) { deactivateWebhookEndpoint(id: $id) { __typename
    ... on WebhookEndpoint { id active } ... on UserError { code } } }"""
ROTATE = """mutation($id: ID!) { rotateWebhookSecret(id: $id) { __typename
    ... on WebhookEndpointRegistration { secret endpoint { id active } } ... on UserError { code } } }"""
ENDPOINTS = "query($p: ID) { webhookEndpoints(partnerId: $p) { id partner url eventTypes active } }"
DELIVERIES = """query($e: ID!, $s: String) { webhookDeliveries(endpointId: $e, status: $s) {
    id eventType messageId status lastStatusCode lastError deliveredAt
    attempts { attempt at statusCode latencyMs error } } }"""
BY_CODE = "query($c: String!) { bookingByCode(code: $c) { code } }"


async def issue_key(api: Api, admin: str, scopes: list[str] | None = None, partner: str = PARTNER) -> dict[str, Any]:
    result: dict[str, Any] = (await api.run(ISSUE_KEY, {"p": partner, "s": scopes}, admin))["issuePartnerKey"]
    return result


async def partner_token(api: Api, admin: str, scopes: list[str] | None = None) -> str:
    issued = await issue_key(api, admin, scopes)
    assert issued["__typename"] == "PartnerKey", issued
    token: str = issued["token"]
    return token


async def register(
    api: Api, token: str | None, url: str, events: tuple[str, ...] = ("BOOKING_CREATED",), **partner: Any
) -> dict[str, Any]:
    fields = {"url": url, "eventTypes": list(events)} | (partner or {"partner": PARTNER})
    result: dict[str, Any] = (await api.run(REGISTER, {"i": fields}, token))["registerWebhookEndpoint"]
    return result


async def deliveries(api: Api, admin: str, endpoint_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await api.run(DELIVERIES, {"e": endpoint_id}, admin))["webhookDeliveries"]
    return found


async def fan_out_due(state: AppState) -> int:
    """What the outbox job does in its claim's transaction: every due row fanned out to webhook deliveries."""
    async with state.engine.begin() as conn:
        return sum([await fan_out(conn, row) for row in await outbox.claim(conn, 100)])


async def execute(state: AppState, sql: str, **params: Any) -> None:
    async with state.engine.begin() as conn:
        await conn.execute(text(sql), params)


async def made_by_the_partner(state: AppState, code: str) -> None:
    """As if the (only) partner had made this booking: the queue helpers book as citizens."""
    await execute(state, "UPDATE bookings SET partner_id = (SELECT id FROM partners) WHERE code = :code", code=code)


def tuned(state: AppState, **settings: Any) -> AppState:
    """The same connections with other settings (short retries, short timeouts)."""
    return replace(state, settings=state.settings.model_copy(update=settings))


@pytest.fixture
async def slots(api: Api, admin_token: str) -> list[str]:
    return await bookable_slots(api, admin_token)


async def test_admins_register_endpoints_and_see_the_secret_once(api: Api, admin_token: str) -> None:
    partner = await partner_token(api, admin_token)

    by_name = await register(api, admin_token, "https://192.0.2.10/hooks", ("BOOKING_CREATED", "TICKET_CALLED"))
    partner_id = by_name["endpoint"]["partnerId"]
    by_id = await register(api, admin_token, "http://10.1.2.3:8080/h", ("BOOKING_NO_SHOW",), partnerId=partner_id)
    as_partner = await register(api, partner, "https://192.0.2.10/other")
    anonymous = await register(api, None, "https://192.0.2.10/other")
    unknown = await register(api, admin_token, "https://192.0.2.10/hooks", partner="Nadie")
    both = await register(api, admin_token, "https://192.0.2.10/hooks", partner=PARTNER, partnerId=partner_id)
    listed = (await api.run(ENDPOINTS, {"p": partner_id}, admin_token))["webhookEndpoints"]
    refused = (await api.post(ENDPOINTS, {}, partner)).json()

    assert by_name["__typename"] == "WebhookEndpointRegistration", by_name
    assert by_name["secret"].startswith("whsec_")
    assert by_name["secret"] != by_id["secret"]
    assert by_name["endpoint"]["eventTypes"] == ["BOOKING_CREATED", "TICKET_CALLED"]
    assert (by_name["endpoint"]["partner"], by_name["endpoint"]["active"]) == (PARTNER, True)
    assert by_id["endpoint"]["url"] == "http://10.1.2.3:8080/h"  # city intranets are allowed
    assert as_partner["__typename"] == anonymous["__typename"] == "NotAllowed"
    assert unknown["__typename"] == "NotFound"
    assert (both["__typename"], both["field"]) == ("ValidationError", "partnerId")
    assert [endpoint["url"] for endpoint in listed] == ["https://192.0.2.10/hooks", "http://10.1.2.3:8080/h"]
    assert "secret" not in json.dumps(listed)
    assert refused["errors"][0]["extensions"]["code"] == "NOT_ALLOWED"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://portal.example/hooks",
        "file:///etc/passwd",
        "portal.example/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/hooks",
        "http://[::ffff:169.254.169.254]/",
        "http://[fd00:ec2::254]/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://0.0.0.0:8080/",
        "http://2852039166/",  # 169.254.169.254 written as one number: caught by resolving it
        "http://portal.example:99999/",
        "http://[64:ff9b::a9fe:a9fe]/",  # NAT64: 169.254.169.254 through the gateway
        "http://[64:ff9b::a00:1]/",  # NAT64 of any address: what the gateway reaches is not ours to judge
        "http://[64:ff9b:1::a9fe:a9fe]/",  # local-use NAT64
        "http://[2002:a9fe:a9fe::1]/",  # 6to4
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo
        "http://168.63.129.16/machine?comp=goalstate",  # Azure WireServer
    ],
)
async def test_unsafe_urls_are_refused(api: Api, admin_token: str, url: str) -> None:
    await partner_token(api, admin_token)

    result = await register(api, admin_token, url)

    assert result["__typename"] == "ValidationError", result
    assert result["field"] == "url"


async def test_a_partner_booking_reaches_the_partner_signed(
    api: Api, admin_token: str, state: AppState, slots: list[str]
) -> None:
    token = await partner_token(api, admin_token)
    async with webhook_receiver() as receiver:
        registration = await register(api, admin_token, receiver.url)
        booked = (await book(api, slots[0], token))["booking"]
        await book(api, slots[1], None, citizen=citizen("40111222"))  # a citizen's own: no partner to tell
        added = await fan_out_due(state)
        report = await deliver_due(state)
    log = await deliveries(api, admin_token, registration["endpoint"]["id"])

    assert added == 1
    assert report == DeliveryReport(sent=1)
    [request] = receiver.requests
    assert request.path == "/hooks/turnero"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"].startswith("msg_")
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 60
    assert verify(registration["secret"], request)
    assert not verify(registration["secret"], replace(request, body=request.body.replace(b"BOOKED", b"NO_SHOW")))
    event = json.loads(request.body)
    assert event["type"] == "booking.created"
    assert event["timestamp"].endswith("Z")
    assert event["data"]["code"] == booked["code"]
    assert event["data"]["bookingId"] == booked["id"]
    assert event["data"]["status"] == "BOOKED"
    assert event["data"]["startsAt"] == booked["startsAt"]
    assert event["data"]["office"]["name"] == "Office centro"
    assert event["data"]["service"]["name"] == "Service dni"
    for personal in ("Ana", "example.org", "555", "3012"):  # no citizen data leaves for partners
        assert personal not in request.body.decode()
    [delivery] = log
    assert delivery["status"] == "SENT"
    assert delivery["deliveredAt"] is not None
    assert delivery["eventType"] == "BOOKING_CREATED"
    assert delivery["messageId"] == request.headers["webhook-id"]
    assert [(a["attempt"], a["statusCode"], a["error"]) for a in delivery["attempts"]] == [(1, 200, None)]


async def test_an_endpoint_answering_500_gets_the_delivery_again(
    api: Api, admin_token: str, state: AppState, slots: list[str]
) -> None:
    token = await partner_token(api, admin_token)
    quick = tuned(state, retry_base_seconds=0.05)
    async with webhook_receiver([500]) as receiver:
        registration = await register(api, admin_token, receiver.url)
        await book(api, slots[0], token)
        await fan_out_due(state)
        first = await deliver_due(quick)
        too_early = await deliver_due(quick)
        await asyncio.sleep(0.2)
        second = await deliver_due(quick)
    endpoint_id = registration["endpoint"]["id"]
    [delivery] = await deliveries(api, admin_token, endpoint_id)
    as_partner = (await api.post(DELIVERIES, {"e": endpoint_id}, token)).json()
    anonymous = (await api.post(DELIVERIES, {"e": endpoint_id})).json()

    assert (first, too_early, second) == (DeliveryReport(retrying=1), DeliveryReport(), DeliveryReport(sent=1))
    first_try, retry = receiver.requests
    assert first_try.headers["webhook-id"] == retry.headers["webhook-id"]  # receivers deduplicate on it
    assert first_try.body == retry.body
    assert verify(registration["secret"], first_try)
    assert verify(registration["secret"], retry)
    assert (delivery["status"], delivery["lastStatusCode"], delivery["lastError"]) == ("SENT", 200, None)
    tries = delivery["attempts"]
    assert [(a["attempt"], a["statusCode"], a["error"]) for a in tries] == [(1, 500, "HTTP 500"), (2, 200, None)]
    assert all(isinstance(a["latencyMs"], int) and 0 <= a["latencyMs"] < 5000 for a in tries)
    assert tries[0]["at"] < tries[1]["at"]
    assert as_partner["errors"][0]["extensions"]["code"] == "NOT_ALLOWED"
    assert anonymous["errors"][0]["extensions"]["code"] == "NOT_ALLOWED"


async def test_an_endpoint_that_always_fails_ends_failed(
    api: Api, admin_token: str, state: AppState, slots: list[str]
) -> None:
    token = await partner_token(api, admin_token)
    quick = tuned(state, retry_base_seconds=0.01, webhook_max_attempts=3)
    async with webhook_receiver(then=500) as receiver:
        registration = await register(api, admin_token, receiver.url)
        await book(api, slots[0], token)
        await fan_out_due(state)
        reports = []
        for _ in range(4):
            reports.append(await deliver_due(quick))
            await asyncio.sleep(0.1)
    [delivery] = await deliveries(api, admin_token, registration["endpoint"]["id"])

    retrying, failed = DeliveryReport(retrying=1), DeliveryReport(failed=1)
    assert reports == [retrying, retrying, failed, DeliveryReport()]
    assert len(receiver.requests) == 3
    assert (delivery["status"], delivery["lastError"]) == ("FAILED", "HTTP 500")
    assert [a["statusCode"] for a in delivery["attempts"]] == [500, 500, 500]


async def test_a_hanging_endpoint_does_not_hold_up_a_healthy_one(
    api: Api, admin_token: str, state: AppState, slots: list[str]
) -> None:
    token = await partner_token(api, admin_token)
    quick = tuned(state, webhook_timeout_seconds=1.0)
    async with webhook_receiver(hang=True) as stuck, webhook_receiver() as healthy:
        hanging = await register(api, admin_token, stuck.url)
        await register(api, admin_token, healthy.url)
        await book(api, slots[0], token)
        added = await fan_out_due(state)
        started = time.monotonic()
        report = await deliver_due(quick)
        elapsed = time.monotonic() - started
    [stuck_delivery] = await deliveries(api, admin_token, hanging["endpoint"]["id"])

    assert added == 2
    assert report == DeliveryReport(sent=1, retrying=1)
    assert healthy.requests[0].at - started < 0.5  # sent at once, not after the hanging one gave up
    assert len(stuck.requests) == 1
    assert 1.0 <= elapsed < 3.0
    assert stuck_delivery["status"] == "PENDING"
    [attempt] = stuck_delivery["attempts"]
    assert (attempt["statusCode"], attempt["error"]) == (None, "No answer within 1 s.")
    assert 1000 <= attempt["latencyMs"] < 3000


async def test_the_worker_job_drains_batch_after_batch(
    api: Api, admin_token: str, state: AppState, slots: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = await partner_token(api, admin_token)
    monkeypatch.setattr(webhooks, "BATCH", 1)
    async with webhook_receiver() as first, webhook_receiver() as second:
        await register(api, admin_token, first.url)
        await register(api, admin_token, second.url)
        await book(api, slots[0], token)
        await fan_out_due(state)
        report = await webhooks.deliver_webhooks({"turnero_state": state})

    assert report == {"sent": 2, "retrying": 0, "failed": 0}
    assert len(first.requests) == len(second.requests) == 1


async def test_a_reclaimed_outbox_row_adds_no_second_delivery(
    api: Api, admin_token: str, state: AppState, slots: list[str]
) -> None:
    token = await partner_token(api, admin_token)
    await register(api, admin_token, "http://127.0.0.1:9/hooks")
    await book(api, slots[0], token)

    first = await fan_out_due(state)
    await execute(state, "UPDATE outbox SET next_attempt_at = now()")  # its worker died: the lease ran out
    second = await fan_out_due(state)

    assert (first, second) == (1, 0)
    assert await scalar(state, "SELECT count(*) FROM webhook_deliveries") == 1


async def test_the_address_is_checked_again_at_each_send(
    api: Api, admin_token: str, state: AppState, slots: list[str]
) -> None:
    """A name that resolved to an allowed address at registration may point elsewhere later (DNS rebinding)."""
    token = await partner_token(api, admin_token)
    registration = await register(api, admin_token, "http://127.0.0.1:9/hooks")
    await book(api, slots[0], token)
    await fan_out_due(state)
    await execute(state, "UPDATE webhook_endpoints SET url = 'http://169.254.169.254/latest/meta-data/'")

    report = await deliver_due(state)
    [delivery] = await deliveries(api, admin_token, registration["endpoint"]["id"])

    assert report == DeliveryReport(retrying=1)
    assert delivery["attempts"][0]["statusCode"] is None
    assert "metadata" in delivery["attempts"][0]["error"]


async def test_a_deactivated_endpoint_gets_nothing_more(
    api: Api, admin_token: str, state: AppState, slots: list[str]
) -> None:
    token = await partner_token(api, admin_token)
    registration = await register(api, admin_token, "http://127.0.0.1:9/hooks")
    endpoint_id = registration["endpoint"]["id"]
    await book(api, slots[0], token)
    await fan_out_due(state)

    refused = (await api.run(DEACTIVATE, {"id": endpoint_id}, token))["deactivateWebhookEndpoint"]
    deactivated = (await api.run(DEACTIVATE, {"id": endpoint_id}, admin_token))["deactivateWebhookEndpoint"]
    missing = (await api.run(DEACTIVATE, {"id": "999999"}, admin_token))["deactivateWebhookEndpoint"]
    await book(api, slots[1], token, citizen=citizen("40111222"))
    added = await fan_out_due(state)
    [delivery] = await deliveries(api, admin_token, endpoint_id)

    assert refused == {"__typename": "NotAllowed", "code": "NOT_ALLOWED"}
    assert deactivated == {"__typename": "WebhookEndpoint", "id": endpoint_id, "active": False}
    assert missing["__typename"] == "NotFound"
    assert added == 0
    assert (delivery["status"], delivery["lastError"]) == ("FAILED", "endpoint deactivated")


async def test_queue_events_of_partner_bookings_reach_the_partner(api: Api, admin_token: str, state: AppState) -> None:
    await partner_token(api, admin_token)
    front = await front_desk(api, admin_token)
    registration = await register(api, admin_token, "http://127.0.0.1:9/hooks", ("TICKET_CALLED", "BOOKING_NO_SHOW"))
    partners = await booking_due_in(front, state, 10)
    citizens = await booking_due_in(front, state, 20, document="40111222")
    await made_by_the_partner(state, partners)

    ticket = await front.check_in(partners)
    called = await front.call()
    no_show = await front.move("markNoShow", called["id"])
    await front.check_in(citizens)
    await front.call()
    async with state.engine.connect() as conn:
        rows = (
            await conn.execute(
                text("""SELECT x.kind, b.code, x.payload FROM outbox x JOIN bookings b ON b.id = x.booking_id
                        WHERE x.kind IN ('ticket.called', 'booking.no_show') ORDER BY x.id""")
            )
        ).all()
    added = await fan_out_due(state)
    log = await deliveries(api, admin_token, registration["endpoint"]["id"])

    assert called["id"] == ticket["id"]
    assert no_show["status"] == "NO_SHOW"
    ticket_id = ticket_pk(ticket["id"])
    assert [tuple(row) for row in rows] == [
        ("ticket.called", partners, {"ticket_id": ticket_id}),
        ("booking.no_show", partners, {"ticket_id": ticket_id}),
    ]
    assert added == 2
    assert sorted(delivery["eventType"] for delivery in log) == ["BOOKING_NO_SHOW", "TICKET_CALLED"]
    async with state.engine.connect() as conn:
        payloads = (await conn.execute(text("SELECT payload FROM webhook_deliveries ORDER BY id"))).scalars().all()
    assert payloads[0]["type"] == "ticket.called"
    assert payloads[0]["data"]["ticket"] == {"number": ticket["number"], "desk": "1"}
    assert payloads[1]["data"]["status"] == "NO_SHOW"


async def test_the_no_show_sweep_tells_partners(api: Api, admin_token: str, state: AppState) -> None:
    await partner_token(api, admin_token)
    front = await front_desk(api, admin_token)
    partners = await booking_due_in(front, state, -60)
    await booking_due_in(front, state, -60, document="40111222")
    await made_by_the_partner(state, partners)

    async with state.engine.begin() as conn:
        marked = await sweep_no_shows(conn)
    queued = await scalar(
        state,
        "SELECT array_agg(b.code) FROM outbox x JOIN bookings b ON b.id = x.booking_id"
        " WHERE x.kind = 'booking.no_show'",
    )

    assert marked == 2
    assert queued == [partners]
    # the sweep's own statement stored the facts of that moment (resolvers/outbox/facts.py)
    stored = await scalar(state, "SELECT event_facts ->> 'status' FROM outbox WHERE kind = 'booking.no_show'")
    assert stored == "NO_SHOW"


async def test_partner_key_scopes(api: Api, admin_token: str, slots: list[str]) -> None:
    reader_key = await issue_key(api, admin_token, ["bookings:read"])
    writer = await partner_token(api, admin_token)
    write_only = await partner_token(api, admin_token, ["bookings:write"])
    unknown = await issue_key(api, admin_token, ["bookings:delete"])
    empty = await issue_key(api, admin_token, [])
    reader = reader_key["token"]

    refused = await book(api, slots[0], reader)
    booked = await book(api, slots[0], writer)
    code = booked["booking"]["code"]
    read = (await api.run(BY_CODE, {"c": code}, reader))["bookingByCode"]
    unread = (await api.run(BY_CODE, {"c": code}, write_only))["bookingByCode"]
    cancel = (await api.run(CANCEL, {"c": code}, reader))["cancelBooking"]

    assert reader_key["scopes"] == ["bookings:read"]
    assert refused["__typename"] == "NotAllowed"
    assert booked["__typename"] == "BookingConfirmation"
    assert read == {"code": code}
    assert unread is None
    assert cancel["__typename"] == "NotAllowed"
    assert unknown == {"__typename": "ValidationError", "field": "scopes", "code": "INVALID_INPUT"}
    assert empty == unknown


async def test_an_endpoint_answering_410_gone_is_deactivated(
    api: Api, admin_token: str, state: AppState, slots: list[str]
) -> None:
    token = await partner_token(api, admin_token)
    async with webhook_receiver(then=410) as receiver:
        registration = await register(api, admin_token, receiver.url)
        endpoint_id = registration["endpoint"]["id"]
        await book(api, slots[0], token)
        await book(api, slots[1], token, citizen=citizen("40111222"))
        added = await fan_out_due(state)
        first = await deliver_due(state, limit=1)
        after = await deliver_due(state)
        await book(api, slots[2], token, citizen=citizen("40111223"))
        added_later = await fan_out_due(state)
    log = await deliveries(api, admin_token, endpoint_id)
    listed = (await api.run(ENDPOINTS, {}, admin_token))["webhookEndpoints"]

    assert (added, first, after, added_later) == (2, DeliveryReport(failed=1), DeliveryReport(), 0)
    assert len(receiver.requests) == 1  # the other delivery was never posted
    gone = "HTTP 410: the endpoint is gone; it was deactivated"
    assert sorted((d["status"], d["lastStatusCode"] or 0, d["lastError"]) for d in log) == [
        ("FAILED", 0, gone),  # never posted: ended with the endpoint
        ("FAILED", 410, gone),
    ]
    assert [endpoint["active"] for endpoint in listed] == [False]


async def test_410_gone_to_deliveries_sent_side_by_side_stops_the_endpoint_once(
    api: Api, admin_token: str, state: AppState, slots: list[str]
) -> None:
    token = await partner_token(api, admin_token)
    async with webhook_receiver(then=410) as receiver:
        registration = await register(api, admin_token, receiver.url)
        for n, slot in enumerate(slots):
            await book(api, slot, token, citizen=citizen(f"4011122{n}"))
        added = await fan_out_due(state)
        report = await deliver_due(state)  # all at once: their settlements meet on the endpoint's row
    log = await deliveries(api, admin_token, registration["endpoint"]["id"])

    assert (added, report) == (len(slots), DeliveryReport(failed=len(slots)))
    assert len(receiver.requests) == len(slots)
    assert {(d["status"], d["lastStatusCode"]) for d in log} == {("FAILED", 410)}


async def test_an_overloaded_endpoint_is_given_the_wait_it_asks_for(
    api: Api, admin_token: str, state: AppState, slots: list[str]
) -> None:
    token = await partner_token(api, admin_token)
    quick = tuned(state, retry_base_seconds=0.01)  # the backoff alone would retry at once
    async with webhook_receiver([503], headers={"Retry-After": "1"}) as receiver:
        await register(api, admin_token, receiver.url)
        await book(api, slots[0], token)
        await fan_out_due(state)
        first = await deliver_due(quick)
        await asyncio.sleep(0.3)
        too_early = await deliver_due(quick)
        await asyncio.sleep(1.0)
        second = await deliver_due(quick)

    assert (first, too_early, second) == (DeliveryReport(retrying=1), DeliveryReport(), DeliveryReport(sent=1))
    assert receiver.requests[1].at - receiver.requests[0].at >= 1.0


async def test_a_try_under_way_when_its_endpoint_is_deactivated_is_not_retried(
    api: Api, admin_token: str, state: AppState, slots: list[str]
) -> None:
    token = await partner_token(api, admin_token)
    quick = tuned(state, retry_base_seconds=0.01)
    async with webhook_receiver([500], hang=True) as receiver:
        registration = await register(api, admin_token, receiver.url)
        endpoint_id = registration["endpoint"]["id"]
        await book(api, slots[0], token)
        await fan_out_due(state)
        sending = asyncio.create_task(deliver_due(quick))
        await asyncio.wait_for(receiver.arrived.wait(), 10)
        deactivated = (await api.run(DEACTIVATE, {"id": endpoint_id}, admin_token))["deactivateWebhookEndpoint"]
        receiver.released.set()  # now it answers 500: a retry, were the endpoint still active
        report = await sending
        await asyncio.sleep(0.05)
        later = await deliver_due(quick)
    [delivery] = await deliveries(api, admin_token, endpoint_id)

    assert deactivated["active"] is False
    assert (report, later) == (DeliveryReport(failed=1), DeliveryReport())
    assert (delivery["status"], delivery["lastStatusCode"], delivery["lastError"]) == ("FAILED", 500, "HTTP 500")
    assert len(receiver.requests) == 1


def test_retry_after_is_read_in_seconds_or_as_a_date_and_bounded() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert retry_after("120", now) == timedelta(seconds=120)
    assert retry_after(" 0 ", now) == timedelta(0)
    assert retry_after("Tue, 01 Dec 2026 12:00:30 GMT", now) == timedelta(seconds=30)
    assert retry_after("Tue, 01 Dec 2026 11:00:00 GMT", now) == timedelta(0)  # already past: no extra wait
    assert retry_after("999999999999", now) == timedelta(hours=6)  # never parked for days
    assert retry_after("Fri, 01 Jan 2027 00:00:00 GMT", now) == timedelta(hours=6)
    for unreadable in (None, "", "soon", "-5", "1.5"):
        assert retry_after(unreadable, now) is None


async def test_a_rotated_secret_signs_beside_the_previous_one_for_a_day(
    api: Api, admin_token: str, state: AppState, slots: list[str]
) -> None:
    token = await partner_token(api, admin_token)
    async with webhook_receiver() as receiver:
        registration = await register(api, admin_token, receiver.url)
        endpoint_id, old = registration["endpoint"]["id"], registration["secret"]
        refused = (await api.run(ROTATE, {"id": endpoint_id}, token))["rotateWebhookSecret"]
        missing = (await api.run(ROTATE, {"id": "999999"}, admin_token))["rotateWebhookSecret"]
        rotated = (await api.run(ROTATE, {"id": endpoint_id}, admin_token))["rotateWebhookSecret"]
        await book(api, slots[0], token)
        await fan_out_due(state)
        await deliver_due(state)
        await execute(state, "UPDATE webhook_endpoints SET previous_secret_until = now() - interval '1 second'")
        await book(api, slots[1], token, citizen=citizen("40111222"))  # the day of overlap has passed
        await fan_out_due(state)
        await deliver_due(state)
    during, after = receiver.requests
    new = rotated["secret"]

    assert refused == {"__typename": "NotAllowed", "code": "NOT_ALLOWED"}
    assert missing["__typename"] == "NotFound"
    assert rotated["endpoint"] == {"id": endpoint_id, "active": True}
    assert new.startswith("whsec_")
    assert new != old
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert verify(new, during)
    assert verify(old, during)
    assert verify(new, after)
    assert not verify(old, after)
    assert len(after.headers["webhook-signature"].split(" ")) == 1


async def test_a_deactivated_endpoint_keeps_its_secret(api: Api, admin_token: str, state: AppState) -> None:
    await partner_token(api, admin_token)  # the partner the endpoint belongs to
    registration = await register(api, admin_token, "http://127.0.0.1:9/hooks")
    endpoint_id = registration["endpoint"]["id"]
    await api.run(DEACTIVATE, {"id": endpoint_id}, admin_token)
    before = await scalar(state, "SELECT secret_nonce FROM webhook_endpoints")

    refused = (await api.run(ROTATE, {"id": endpoint_id}, admin_token))["rotateWebhookSecret"]

    assert refused == {"__typename": "InvalidState", "code": "INVALID_STATE"}
    assert await scalar(state, "SELECT secret_nonce FROM webhook_endpoints") == before  # nothing half-written
    assert await scalar(state, "SELECT previous_secret_nonce FROM webhook_endpoints") is None
