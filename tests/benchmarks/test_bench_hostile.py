"""The hostile-load bench's own parts against a real `serve`: each attacker process starts, stops when told
and accounts for every request or socket it made; answers are counted as served or refused as the bench
reports them. Whether the protections hold is tested by their own tests; this is the bench's plumbing."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from bench.hostile_attacks import Attacker, Plan
from bench.hostile_net import Tally, bound_client, loopback
from tests.support.api import Api
from tests.support.front_desk import front_desk

pytestmark = pytest.mark.slow

LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { __typename } }"


async def attacked(plan: Plan, seconds: float) -> dict[str, Any]:
    began = time.monotonic()
    async with Attacker.running(plan, ready_seconds=60) as attacker:
        assert attacker.ready is not None
        await asyncio.sleep(seconds)
        report = await attacker.stop(plan.timeout + 15)
    assert time.monotonic() - began < 60 + seconds  # it ended when told to, not at its own deadline
    return report


async def test_the_cyclic_attacker_accounts_for_every_request(one_server: str) -> None:
    plan = Plan(kind="cyclic", base=one_server, seconds=120, run_tag="123456", cyclic_clients=2, timeout=10)
    report = await attacked(plan, 1.5)
    assert report["kind"] == "cyclic"
    assert report["count"] == report["served"] + report["refused"] + report["failed"]
    # an empty city answers it at once (or the cost analysis refuses it at once): many rounds, few failures
    assert report["served"] + report["refused"] >= 2
    assert report["failed"] <= 2  # at most what was still on its way when told to stop


async def test_the_socket_attacker_accounts_for_every_socket(one_server: str, api: Api, admin_token: str) -> None:
    front = await front_desk(api, admin_token, slug="sockets")
    ticket = await front.issue()
    plan = Plan(
        kind="sockets",
        base=one_server,
        seconds=120,
        run_tag="123456",
        sockets=24,
        socket_addresses=2,
        subscriptions_per_socket=2,
        ticket=ticket["id"],
        timeout=10,
    )
    report = await attacked(plan, 1)
    assert report["served"] + report["refused"] + report["failed"] == 24
    assert sum(report["handshakes"].values()) == 24
    assert sum(report["subscriptions"].values()) <= 12 * 2  # half the sockets follow, with two each


async def test_answers_are_counted_as_served_or_refused(one_server: str, api: Api, admin_token: str) -> None:
    tally = Tally()
    async with bound_client(one_server, loopback(66, 5000), timeout=30) as client:
        await tally.send(client, {"query": "{ __typename }"})
        await tally.send(client, {"query": "{ __typename }"}, {"Authorization": "Bearer not-a-token"})
        for _ in range(6):  # five wrong guesses lock the user out (or a sign-in limit refuses sooner)
            await tally.send(client, {"query": LOGIN, "variables": {"u": "admin", "p": "wrong password"}})
    assert tally.details["data"] == 1
    assert tally.details["HTTP 401"] == 1
    assert tally.verdicts["served"] + tally.verdicts["refused"] == 8
    assert tally.verdicts["refused"] >= 2  # the bad token, and the locked-out (or throttled) sign-in
    assert tally.verdicts["failed"] == 0


async def test_a_refused_connection_is_a_failure_not_a_refusal() -> None:
    tally = Tally()
    async with httpx.AsyncClient(base_url="http://127.0.0.1:9", timeout=2) as client:
        assert await tally.send(client, {"query": "{ __typename }"}) is None
    assert tally.verdicts["failed"] == 1
