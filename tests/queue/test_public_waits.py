"""Issue 17, part 5: publicWaits, the wait times anyone may read, are the board's and the console's figures,
computed once per office per few seconds whatever the number of callers."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import httpx

from core.ratelimit import RateLimiter
from core.runtime import AppState
from core.settings import Settings
from realtime.live import LiveQueue
from resolvers.queue.public_waits import CACHE_SECONDS
from server.app import create_app
from tests.support.api import Api
from tests.support.front_desk import FrontDesk, front_desk

PUBLIC = """query($o: [ID!]) { publicWaits(officeIds: $o) { __typename
    ... on PublicWaits { offices { officeId name address timezone openNow localTime
        queues { serviceId serviceName waiting estimatedWaitMinutes } } }
    ... on ValidationError { field message } ... on UserError { code message } } }"""
BOARD = """query($o: ID!) { board(officeId: $o) { queues { waiting estimatedWaitMinutes service { id } } } }"""
LIVE = """query($o: ID!) { officeLive(officeId: $o) { ... on OfficeLive { services { waiting service { id } } } } }"""


async def public(api: Api, office_ids: list[str] | None) -> dict[str, Any]:
    answer: dict[str, Any] = (await api.run(PUBLIC, {"o": office_ids}, None))["publicWaits"]
    return answer


async def console_figures(front: FrontDesk) -> dict[str, tuple[int, int | None]]:
    """Per procedure waited for, what the console's office panel shows: officeLive's waiting, the board's
    estimate."""
    board = (await front.api.run(BOARD, {"o": front.office_id}, front.display))["board"]["queues"]
    estimates = {q["service"]["id"]: q["estimatedWaitMinutes"] for q in board}
    live = (await front.api.run(LIVE, {"o": front.office_id}, front.admin))["officeLive"]["services"]
    return {s["service"]["id"]: (s["waiting"], estimates[s["service"]["id"]]) for s in live}


def figures(office: dict[str, Any]) -> dict[str, tuple[int, int | None]]:
    return {q["serviceId"]: (q["waiting"], q["estimatedWaitMinutes"]) for q in office["queues"] if q["waiting"]}


async def test_anyone_reads_the_figures_the_console_shows(api: Api, admin_token: str) -> None:
    front = await front_desk(
        api, admin_token, services=("dni", "pasaporte"), desks={"1": ("dni",), "2": ("dni", "pasaporte")}
    )
    for service in ("dni", "dni", "dni", "pasaporte"):
        assert (await front.issue(service))["__typename"] == "Ticket"
    assert (await front.call("1"))["__typename"] == "Ticket"

    answer = await public(api, [front.office_id])

    assert answer["__typename"] == "PublicWaits"
    (office,) = answer["offices"]
    assert (office["officeId"], office["name"], office["openNow"]) == (front.office_id, "Office centro", True)
    assert {q["serviceId"] for q in office["queues"]} == set(front.services.values())
    assert figures(office) == await console_figures(front)
    waiting = {service: count for service, (count, _) in figures(office).items()}
    assert waiting == {front.services["dni"]: 2, front.services["pasaporte"]: 1}
    assert all(minutes is not None and minutes > 0 for _, minutes in figures(office).values())


async def test_the_figures_are_kept_a_few_seconds(api: Api, admin_token: str, state: AppState) -> None:
    front = await front_desk(api, admin_token)
    await front.issue()
    first = figures((await public(api, None))["offices"][0])

    # when someone joins the line right after a read
    await front.issue()

    # then readers get the figures just computed until they are CACHE_SECONDS old, then the new ones
    assert figures((await public(api, [front.office_id]))["offices"][0]) == first
    assert figures((await public(api, None))["offices"][0]) == first
    await asyncio.sleep(CACHE_SECONDS + 0.5)
    fresh = figures((await public(api, [front.office_id]))["offices"][0])
    assert fresh == await console_figures(front)
    assert fresh[front.services["dni"]][0] == 2


async def test_bad_office_ids_are_typed_errors(api: Api, admin_token: str) -> None:
    office = await api.office(admin_token)

    malformed = await public(api, [office, "abc"])
    unknown = await public(api, [office, "987654"])

    assert (malformed["__typename"], malformed["field"]) == ("ValidationError", "officeIds")
    assert unknown["__typename"] == "NotFound"
    too_many = await public(api, [office] * 51)
    assert too_many["__typename"] == "ValidationError"


async def test_the_query_is_costed_like_any_other(api: Api, admin_token: str) -> None:
    office = await api.office(admin_token)

    one = (await api.post(PUBLIC, {"o": [office]})).json()
    city = (await api.post(PUBLIC, {"o": None})).json()

    assert one["extensions"]["cost"]["requested"] < city["extensions"]["cost"]["requested"]
    assert city["extensions"]["cost"]["requested"] <= city["extensions"]["cost"]["maxCost"]
    assert "remaining" in one["extensions"]["cost"]


async def test_a_flood_from_one_address_is_refused_like_any_anonymous_query(
    state: AppState, live_queue: LiveQueue, settings: Settings, api: Api, admin_token: str
) -> None:
    """The anonymous cost bucket per address, as for `services` or `office`: a script asking again and again is
    refused with RATE_LIMITED (429), whatever the cache saves the server."""
    office = await api.office(admin_token)
    tight = settings.model_copy(update={"rate_limits": True, "rate_anonymous_cost_per_second": 2})
    limiter = RateLimiter(tight)
    app = create_app(tight)
    app.state.turnero = dataclasses.replace(state, settings=tight, limiter=limiter)
    app.state.live_queue = live_queue
    transport = httpx.ASGITransport(app=app, client=("198.51.100.77", 4711))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://turnero.test") as http:
            answers = [
                await http.post("/graphql", json={"query": PUBLIC, "variables": {"o": [office]}}) for _ in range(30)
            ]
    finally:
        await limiter.close()

    statuses = [answer.status_code for answer in answers]
    assert statuses[0] == 200
    assert 429 in statuses
    refused = answers[statuses.index(429)].json()["errors"][0]
    assert refused["extensions"]["code"] == "RATE_LIMITED"
