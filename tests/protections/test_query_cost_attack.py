"""The cyclic query of issue 13 against a real `serve` on a city of 30 offices by 40 procedures: refused at
once, before it runs, while everyone else is served; subscriptions are costed at subscribe time on both the
strawberry path and the shared queue feed."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from core.runtime import AppState
from schema.bounds import MAX_OFFICES, MAX_SERVICES
from tests.support.api import Api
from tests.support.live import error_codes, socket

pytestmark = pytest.mark.slow

CYCLIC = "{ offices { services { offices { services { offices { id } } } } } }"
ATTACKERS = 4
ATTACK_SECONDS = 6
ATTACKS_EACH = 300


async def build_city(state: AppState) -> tuple[int, int]:
    """30 offices each offering the same 40 procedures (as the demo city's offices share theirs)."""
    async with state.engine.begin() as conn:
        await conn.execute(
            text("""INSERT INTO offices (slug, name, timezone) SELECT 'office-' || n, 'Office ' || n,
                    'America/Argentina/Cordoba' FROM generate_series(1, 30) AS n""")
        )
        await conn.execute(
            text("""INSERT INTO services (slug, name, duration_minutes, ticket_prefix, search_text, search_keys)
                    SELECT 'procedure-' || n, 'Procedure ' || n, 15, 'P', 'procedure ' || n, '| procedure ' || n || ' |'
                    FROM generate_series(1, 40) AS n""")
        )
        await conn.execute(
            text("INSERT INTO office_services (office_id, service_id) SELECT o.id, s.id FROM offices o, services s")
        )
        office, service = (await conn.execute(text("SELECT min(o.id), min(s.id) FROM offices o, services s"))).one()
    return office, service


def from_address(base: str, address: str) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=base, transport=transport, timeout=10)


async def test_the_cyclic_query_is_refused_at_once_and_others_are_served(state: AppState, one_server: str) -> None:
    await build_city(state)

    async with from_address(one_server, "127.0.0.1") as attacker, from_address(one_server, "127.0.0.2") as citizen:
        started = time.perf_counter()
        refused = await attacker.post("/graphql", json={"query": CYCLIC})
        refused_in = time.perf_counter() - started

        statuses: list[int] = []

        async def attack() -> None:
            deadline = time.monotonic() + ATTACK_SECONDS
            for _ in range(ATTACKS_EACH):
                if time.monotonic() > deadline:
                    return
                statuses.append((await attacker.post("/graphql", json={"query": CYCLIC})).status_code)

        async def honest() -> list[float]:
            waits: list[float] = []
            await asyncio.sleep(0.5)  # the attack under way
            for _ in range(8):
                started = time.perf_counter()
                answer = await citizen.post("/graphql", json={"query": "{ __typename }"})
                waits.append(time.perf_counter() - started)
                assert answer.json()["data"] == {"__typename": "Query"}
                await asyncio.sleep(0.3)
            return waits

        attacks = asyncio.gather(*(attack() for _ in range(ATTACKERS)))
        waits, _ = await asyncio.gather(honest(), attacks)

    body = refused.json()
    assert refused.status_code == 400
    assert body["data"] is None
    extensions = body["errors"][0]["extensions"]
    assert extensions["code"] == "QUERY_TOO_COSTLY"
    assert extensions["cost"] > MAX_OFFICES**3 * MAX_SERVICES**2
    assert extensions["maxCost"] == 10_000
    assert refused_in < 1
    assert statuses
    assert set(statuses) == {400}
    assert max(waits) < 1, waits


COSTLY_TICKET = """subscription($t: ID!) { ticketUpdates(ticketId: $t) {
    office { services { offices { services { id } } } } } }"""
COSTLY_QUEUE = """subscription($o: ID!) { queueEvents(officeId: $o) {
    ticket { office { services { offices { id } } } } } }"""
CHEAP_QUEUE = "subscription($o: ID!) { queueEvents(officeId: $o) { seq ticket { number } } }"
ISSUE = (
    """mutation($o: ID!, $s: ID!) { issueTicket(officeId: $o, serviceId: $s) { __typename ... on Ticket { id } } }"""
)


async def test_subscriptions_are_costed_when_they_subscribe(
    api: Api, state: AppState, admin_token: str, one_server: str
) -> None:
    office, service = await build_city(state)

    # anonymous, ticketUpdates: strawberry's own path
    async with socket(one_server, None) as anonymous:
        await anonymous.subscribe("t", COSTLY_TICKET, {"t": "1"})
        ticket_refusal = await anonymous.message("t")

    # staff, queueEvents: what the shared feed would serve, were it not over the budget
    async with socket(one_server, admin_token) as staff:
        await staff.subscribe("costly", COSTLY_QUEUE, {"o": str(office)})
        queue_refusal = await staff.message("costly")
        await staff.subscribe("cheap", CHEAP_QUEUE, {"o": str(office)})
        await asyncio.sleep(0.5)  # subscribed before the event
        async with httpx.AsyncClient(base_url=one_server, timeout=10) as http:
            issued = await http.post(
                "/graphql",
                json={"query": ISSUE, "variables": {"o": str(office), "s": str(service)}},
                headers={"Authorization": f"Bearer {admin_token}"},
            )
        event: dict[str, Any] = await staff.message("cheap")

    assert ticket_refusal["type"] == "error"
    assert error_codes(ticket_refusal) == ["QUERY_TOO_COSTLY"]
    assert queue_refusal["type"] == "error"
    assert error_codes(queue_refusal) == ["QUERY_TOO_COSTLY"]
    assert queue_refusal["payload"][0]["extensions"]["cost"] == 1 + 1 + 1 + 1 + MAX_SERVICES * (1 + MAX_OFFICES)
    assert issued.json()["data"]["issueTicket"]["__typename"] == "Ticket"
    assert event["type"] == "next"
    assert event["payload"]["data"]["queueEvents"]["ticket"]["number"]
    assert event["payload"]["extensions"]["cost"] == {"requested": 3, "maxCost": 10_000}
