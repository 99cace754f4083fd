"""Rate limits through a Redis restart: two `serve` processes on embedded servers of their own, whose Redis is
stopped and started again while a kiosk, a desk and a display work and anonymous callers search."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from core.embedded import embedded_redis_url, stop_embedded_redis
from tests.operations import test_processes
from tests.protections.test_rate_limits import DEFAULT_RATES, SEARCH, from_address
from tests.support.api import ADMIN_PASSWORD, Api
from tests.support.front_desk import FrontDesk, front_desk
from tests.support.live import socket
from tests.support.processes import environment, main_py, serving, status, wait_for

pytestmark = pytest.mark.slow

# the same fixture as there: embedded servers in a temporary data directory, of this module's own
data_dir = test_processes.data_dir
BOARD = """subscription($o: ID!) { board(officeId: $o) { seq recentCalls { number } queues { waiting } } }"""


@pytest.fixture(scope="module")
def servers(data_dir: Path) -> Iterator[list[str]]:
    env = environment(TURNERO_DATA_DIR=str(data_dir), **DEFAULT_RATES | {"TURNERO_RATE_SEARCHES": "3/minute"})
    made = main_py("create-admin", "root", env=env | {"TURNERO_ADMIN_PASSWORD": ADMIN_PASSWORD}, timeout=180)
    assert made.returncode == 0, made.stderr
    with serving(env) as first, serving(env) as second:
        yield [first, second]


async def searches(base: str, source: str, front: FrontDesk, count: int) -> list[int]:
    day = (date.today() + timedelta(days=1)).isoformat()
    async with from_address(base, source) as citizen:
        variables = {"s": front.services["dni"], "o": front.office_id, "d": day}
        return [(await citizen.post(SEARCH, variables)).status_code for _ in range(count)]


async def test_kiosks_desks_and_displays_work_through_a_redis_restart_and_addresses_stay_limited(
    servers: list[str], data_dir: Path
) -> None:
    first, second = servers
    async with httpx.AsyncClient(base_url=first, timeout=30) as client:
        api = Api(client)
        admin = await api.login("root", ADMIN_PASSWORD)
        front = await front_desk(api, admin)
        async with socket(second, front.display) as screen:
            await screen.subscribe("b", BOARD, {"o": front.office_id})
            assert (await screen.next("b"))["board"]["seq"] == 0

            assert stop_embedded_redis(data_dir)
            wait_for(lambda: status(f"{first}/health/ready") == 503, 10, "the outage seen")
            issued = await front.issue()
            called = await front.call()
            seen = (await screen.next("b", seconds=20))["board"]
            kiosk_cost = (await api.post("{ me { username } }", token=front.kiosk)).json()["extensions"]["cost"]
            # without Redis each process counts an address on its own: 3 searches a minute here, 3 there
            outage = [
                await searches(first, "127.0.0.7", front, 4),
                await searches(second, "127.0.0.7", front, 4),
            ]

            embedded_redis_url(data_dir)  # the same server, started again
            wait_for(lambda: status(f"{first}/health/ready") == 200 == status(f"{second}/health/ready"), 30, "Redis")
            await asyncio.sleep(1.5)  # TURNERO_RATE_REDIS_RETRY_SECONDS: each process tries Redis again after 1 s
            await front.move("startService", called["id"])
            await front.move("completeTicket", called["id"])
            again = await front.issue()
            back_cost = (await api.post("{ me { username } }", token=front.kiosk)).json()["extensions"]["cost"]
            # shared again: 3 a minute for the address across both processes together
            after = await searches(first, "127.0.0.8", front, 2) + await searches(second, "127.0.0.8", front, 2)
            while (board := (await screen.next("b", seconds=20))["board"])["queues"][0]["waiting"] == 0:
                pass

    assert issued["__typename"] == called["__typename"] == again["__typename"] == "Ticket"
    assert called["id"] == issued["id"]
    assert seen["seq"] >= 1
    assert "remaining" not in kiosk_cost  # a token holder passes uncounted while Redis is away
    assert outage == [[200, 200, 200, 429], [200, 200, 200, 429]]
    assert "remaining" in back_cost
    assert after == [200, 200, 200, 429]
    assert board["queues"][0]["waiting"] == 1
    assert board["seq"] > seen["seq"]
