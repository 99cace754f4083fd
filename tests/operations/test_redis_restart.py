"""A Redis restart, with real processes: `main.py worker` and `main.py serve` on an embedded Redis of their own
(a temporary data directory) whose server is shut down and started again. Neither is restarted; afterwards a
partner booking made through serve still gets its confirmation mail (a real SMTP server) and its webhook (a
real HTTP receiver)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from core.embedded import embedded_redis_url, stop_embedded_redis
from core.runtime import AppState
from core.settings import Settings
from tests.notifications.test_webhooks import partner_token, register
from tests.notifications.test_worker_outbox import worker
from tests.support.api import Api
from tests.support.booking import book, bookable_slots, citizen
from tests.support.mail_sink import Sink, smtp_sink
from tests.support.processes import serving, status, suite_environment, wait_for
from tests.support.webhook_receiver import Receiver, webhook_receiver

pytestmark = pytest.mark.slow


async def arrives(what: Callable[[], bool], seconds: float, name: str) -> None:
    deadline = time.monotonic() + seconds
    while not what():
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} did not arrive within {seconds} s")
        await asyncio.sleep(0.2)


def mailed(sink: Sink, address: str) -> bool:
    return any(m["To"].addresses[0].addr_spec == address for m in sink.messages)


def hooked(receiver: Receiver, code: str) -> bool:
    return any(code.encode() in request.body for request in receiver.requests)


async def test_the_worker_and_serve_ride_out_a_redis_restart(
    api: Api, admin_token: str, state: AppState, settings: Settings, tmp_path: Path
) -> None:
    redis_url = embedded_redis_url(tmp_path)
    try:
        token = await partner_token(api, admin_token)
        slots = await bookable_slots(api, admin_token)
        async with webhook_receiver() as receiver:
            await register(api, admin_token, receiver.url)
            with smtp_sink() as sink:
                env = suite_environment(
                    settings,
                    REDIS_URL=redis_url,
                    TURNERO_DATA_DIR=str(tmp_path),
                    SMTP_URL=sink.url,
                    TURNERO_DELIVERY_EVERY_SECONDS="1",
                    TURNERO_WORKER_RECONNECT_MAX_SECONDS="2",
                )
                with serving(env) as base, worker(env) as process:
                    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                        through_serve = Api(http)
                        first = await book(through_serve, slots[0], token, citizen=citizen(email="first@example.org"))
                        await arrives(lambda: mailed(sink, "first@example.org"), 30, "the first mail")
                        await arrives(lambda: hooked(receiver, first["booking"]["code"]), 30, "the first webhook")

                        stop_embedded_redis(tmp_path)
                        await asyncio.sleep(3)  # the worker's polls fail meanwhile; it waits to reconnect
                        alive_during_outage = process.poll() is None
                        embedded_redis_url(tmp_path)  # the same server, started again
                        wait_for(lambda: status(f"{base}/health/ready") == 200, 30, "serve sees Redis again")

                        second = await book(
                            through_serve, slots[1], token, citizen=citizen("40222333", email="second@example.org")
                        )
                        await arrives(lambda: mailed(sink, "second@example.org"), 60, "the mail after the restart")
                        await arrives(
                            lambda: hooked(receiver, second["booking"]["code"]), 60, "the webhook after the restart"
                        )
                    alive_after = process.poll() is None
    finally:
        stop_embedded_redis(tmp_path)

    assert first["__typename"] == second["__typename"] == "BookingConfirmation"
    assert alive_during_outage
    assert alive_after
    assert process.returncode == 0  # SIGINT still stops it for good, promptly and cleanly
