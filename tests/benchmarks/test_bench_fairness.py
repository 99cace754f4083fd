"""The fairness bench's own parts against a real `serve`: a release it sets up, people and a bot that book it,
and its account of who won what agreeing with the database. Whether the policies are fair is what the bench
measures; this is its plumbing."""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from bench.fairness import POLICIES, offered, release
from bench.fairness_clients import Scenario, bot, merged, person
from core.runtime import AppState
from tests.support.api import Api
from tests.support.booking import scalar

pytestmark = pytest.mark.slow


async def test_people_and_a_bot_book_a_release_and_the_bench_counts_what_the_database_holds(
    one_server: str, api: Api, admin_token: str, state: AppState
) -> None:
    policy = POLICIES["first_come"]
    known = await offered(api, admin_token, policy)
    ids = await release(api, admin_token, "first_come", 100, policy, known)
    world = Scenario(base=one_server, challenge=known[0], deadline=time.time() + 60, **ids)
    rng = random.Random(1)
    people = [person(world, n, 40, 0, random.Random(rng.random())) for n in range(2)]
    outcomes = await asyncio.gather(bot(world, 0, 70, 3, 3), *people)

    bots, humans = merged([outcomes[0]]), merged(list(outcomes[1:]))
    assert bots["seats"] == 3  # each of its three identities, the suite's rates being generous
    assert humans["with_a_seat"] == 2
    booked = await scalar(
        state, "SELECT count(*) FROM bookings WHERE service_id = :s AND status = 'BOOKED'", s=int(ids["service"])
    )
    assert booked == bots["seats"] + humans["seats"]
    assert await scalar(state, "SELECT count(*) FROM slots WHERE booked > capacity") == 0
