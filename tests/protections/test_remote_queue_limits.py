"""joinQueue is limited as `book` is (issue 16, point 6): through a real `serve` with the default rate limits and the
default challenge allowance, one script at one address gets its free places, then a challenge, then 429s: it
cannot fill an office's line. Another address still joins, solving its challenge when asked."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from core.runtime import AppState
from core.settings import Settings
from tests.protections.test_challenge import solve
from tests.protections.test_rate_limits import DEFAULT_RATES, flood, from_address, refusal
from tests.support.api import Api
from tests.support.booking import scalar
from tests.support.front_desk import front_desk
from tests.support.processes import serving, suite_environment

pytestmark = pytest.mark.slow

JOIN = """mutation($i: JoinQueueInput!) { joinQueue(input: $i) { __typename
    ... on Ticket { number remote }
    ... on ChallengeRequired { challenge { algorithm challenge salt signature maxNumber } }
    ... on UserError { message } } }"""


@pytest.fixture(scope="module")
def default_server(settings: Settings) -> Iterator[str]:
    """One `serve` with the default rate limits and the real default challenge allowance."""
    env = suite_environment(settings, **DEFAULT_RATES)
    del env["TURNERO_CHALLENGE_FREE_BOOKINGS"]
    with serving(env) as base:
        yield base


def request(office: str, service: str, n: int, challenge: str | None = None) -> dict[str, Any]:
    citizen = {"name": f"Bot {n}", "email": f"bot{n}@example.org"}
    return {"i": {"officeId": office, "serviceId": service, "citizen": citizen, "challenge": challenge}}


async def test_a_script_at_one_address_cannot_fill_the_line(
    default_server: str, api: Api, admin_token: str, state: AppState
) -> None:
    front = await front_desk(api, admin_token, remoteQueue=True)
    office, service = front.office_id, front.services["dni"]

    async with from_address(default_server, "127.0.0.5") as bot:
        responses = await flood(30, lambda n: bot.post(JOIN, request(office, service, n)))

    answered = [r.json()["data"]["joinQueue"]["__typename"] for r in responses if r.status_code == 200]
    assert Counter(answered) == {"Ticket": 2, "ChallengeRequired": 3}  # 2 free a day, 5 tries per 10 minutes
    errors = [refusal(r) for r in responses if r.status_code != 200]
    assert len(errors) == 25
    assert {e["extensions"]["bucket"] for e in errors} == {"bookings"}

    async with from_address(default_server, "127.0.0.6") as neighbour:
        for n in (100, 101):
            assert (await neighbour.run(JOIN, request(office, service, n)))["joinQueue"]["__typename"] == "Ticket"
        asked = (await neighbour.run(JOIN, request(office, service, 102)))["joinQueue"]
        assert asked["__typename"] == "ChallengeRequired", asked
        solved = (await neighbour.run(JOIN, request(office, service, 102, solve(asked["challenge"]))))["joinQueue"]
    assert (solved["__typename"], solved["remote"]) == ("Ticket", True)
    assert await scalar(state, "SELECT count(*) FROM tickets WHERE remote") == 5
