"""The smaller holes of issue 13: transfers onto foreign desks, kiosks' arrival times, unmet demand per
address, and the secret key."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import ValidationError

from core.runtime import AppState
from core.settings import Settings
from tests.support.api import Api
from tests.support.booking import scalar
from tests.support.front_desk import RESULT, TRANSFER, FrontDesk, front_desk
from tests.support.processes import environment, main_py

ISSUE_AT = f"""mutation($o: ID!, $s: ID!, $a: DateTime) {{
    issueTicket(officeId: $o, serviceId: $s, arrivedAt: $a) {{ {RESULT} }} }}"""
AVAILABILITY = """query($s: ID!, $o: ID, $f: Date!, $t: Date!) {
    availability(serviceId: $s, officeId: $o, from: $f, to: $t) { date } }"""


def afternoon_zone() -> str:
    """A fixed-offset zone where it is now about 15:00, so that hours ago is still the office's today."""
    offset = 15 - datetime.now(UTC).hour
    offset = offset - 24 if offset > 14 else offset + 24 if offset < -12 else offset
    # POSIX sign: Etc/GMT-3 is three hours ahead of UTC
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


async def test_a_clerk_cannot_push_a_ticket_onto_another_offices_desk(api: Api, admin_token: str) -> None:
    here = await front_desk(api, admin_token)
    there = await front_desk(api, admin_token, slug="norte")
    ticket = await here.issue()
    other = await here.issue()

    onto_their_desk = await api.run(
        TRANSFER, {"t": ticket["id"], "o": there.office_id, "d": there.desks["1"]}, here.clerk
    )
    referred = await api.run(TRANSFER, {"t": other["id"], "o": there.office_id}, here.clerk)

    assert onto_their_desk["transferTicket"]["__typename"] == "NotAllowed"
    assert (await here.ticket(ticket["id"]))["status"] == "WAITING"  # nothing moved
    # sending the citizen to the other office's line stays a clerk's call
    assert (referred["transferTicket"]["__typename"], referred["transferTicket"]["office"]) == (
        "Ticket",
        {"id": there.office_id},
    )


async def _issue_at(front: FrontDesk, at: datetime) -> dict[str, Any]:
    data = await front.api.run(
        ISSUE_AT, {"o": front.office_id, "s": front.services["dni"], "a": at.isoformat()}, front.kiosk
    )
    result: dict[str, Any] = data["issueTicket"]
    return result


async def test_a_kiosk_cannot_claim_an_arrival_older_than_its_spool_can_hold(
    api: Api, admin_token: str, settings: Settings
) -> None:
    front = await front_desk(api, admin_token, timezone=afternoon_zone())
    now = datetime.now(UTC)
    assert settings.kiosk_max_offline == timedelta(hours=2)  # the default

    too_old = await _issue_at(front, now - timedelta(hours=2, minutes=5))
    held = await _issue_at(front, now - timedelta(hours=1, minutes=55))

    assert (too_old["__typename"], too_old["field"]) == ("ValidationError", "arrivedAt")
    assert held["__typename"] == "Ticket", held


async def test_a_kiosk_cannot_claim_an_arrival_before_the_office_opened(api: Api, admin_token: str) -> None:
    zone = afternoon_zone()
    local = datetime.now(ZoneInfo(zone))
    opened = (local - timedelta(minutes=45)).replace(second=0, microsecond=0)
    hours = [{"weekday": local.isoweekday(), "opens": f"{opened:%H:%M}", "closes": "23:59"}]
    front = await front_desk(api, admin_token, timezone=zone, openingHours=hours)

    before_opening = await _issue_at(front, local - timedelta(minutes=60))
    after_opening = await _issue_at(front, local - timedelta(minutes=30))

    assert (before_opening["__typename"], before_opening["field"]) == ("ValidationError", "arrivedAt")
    assert "opened" in before_opening["message"]
    assert after_opening["__typename"] == "Ticket", after_opening


@pytest.mark.slow
async def test_unmet_demand_counts_each_address_once_a_day(
    api: Api, admin_token: str, state: AppState, one_server: str
) -> None:
    front = await front_desk(api, admin_token)
    today = datetime.now(UTC).date()
    variables = {"s": front.services["dni"], "o": front.office_id, "f": str(today), "t": str(today)}

    for address in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
        transport = httpx.AsyncHTTPTransport(local_address=address)
        async with httpx.AsyncClient(base_url=one_server, transport=transport, timeout=10) as searcher:
            for _ in range(5):  # a script refreshing is still one citizen
                answer = await searcher.post("/graphql", json={"query": AVAILABILITY, "variables": variables})
                assert answer.json()["data"] == {"availability": []}, answer.text
    anonymous = await scalar(state, "SELECT sum(searches) FROM unmet_searches")
    # staff search for many citizens: each of their searches counts
    for _ in range(2):
        await api.run(AVAILABILITY, variables, admin_token)
    counted = await scalar(state, "SELECT sum(searches) FROM unmet_searches")

    assert (anonymous, counted) == (3, 5)
    remembered = [key.decode() async for key in state.redis.scan_iter("unmet-seen:*")]
    assert len(remembered) == 3
    assert not any("127.0.0" in key for key in remembered)  # a keyed hash, never the address


def test_a_generated_secret_key_is_private_from_its_first_byte(tmp_path: Path) -> None:
    previous = os.umask(0)  # even a careless umask must not make the key readable by others
    try:
        with ThreadPoolExecutor(8) as pool:
            keys = set(pool.map(lambda _: Settings(TURNERO_DATA_DIR=tmp_path).secret_key, range(8)))
    finally:
        os.umask(previous)

    key_file = tmp_path / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(keys) == 1  # processes starting together agree on one key
    assert len(keys.pop()) >= 32
    assert [p.name for p in tmp_path.iterdir()] == ["secret.key"]  # no temporary file left behind


def test_a_short_secret_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="TURNERO_SECRET_KEY"):
        Settings(TURNERO_SECRET_KEY="x" * 31)
    assert Settings(TURNERO_SECRET_KEY="x" * 32).secret_key == b"x" * 32


@pytest.mark.slow
@pytest.mark.parametrize("command", ["serve --port 1", "worker", "migrate", "export-schema --output {tmp}/s.graphql"])
def test_every_command_refuses_a_short_secret_key_in_one_line(tmp_path: Path, command: str) -> None:
    env = environment(TURNERO_SECRET_KEY="too-short-for-hmac", TURNERO_DATA_DIR=str(tmp_path))

    done = main_py(*command.format(tmp=tmp_path).split(), env=env, timeout=60)

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "TURNERO_SECRET_KEY must be at least 32 bytes" in done.stderr
    assert not (tmp_path / "s.graphql").exists()
