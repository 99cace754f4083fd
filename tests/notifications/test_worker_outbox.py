"""The real arq worker on real Redis, sending the outbox to a real SMTP server: each message once with
two workers, retries then FAILED when the server refuses, and nothing lost when a worker is killed."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest

from core.runtime import AppState
from core.settings import Settings
from tests.support.api import Api
from tests.support.booking import book, bookable_slots, citizen, scalar
from tests.support.mail_sink import Sink, smtp_sink
from tests.support.processes import ROOT, environment

pytestmark = pytest.mark.slow


def worker_env(settings: Settings, sink: Sink, **extra: str) -> dict[str, str]:
    return environment(
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url,
        TURNERO_DATA_DIR=str(settings.data_dir),
        TURNERO_SECRET_KEY=settings.secret_key.decode(),
        SMTP_URL=sink.url,
        TURNERO_DELIVERY_EVERY_SECONDS="1",
        **extra,
    )


@contextmanager
def worker(env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "main.py", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def wait_until(state: AppState, sql: str, expected: Any, seconds: float = 60) -> None:
    async with asyncio.timeout(seconds):
        while True:
            if await scalar(state, sql) == expected:
                return
            await asyncio.sleep(0.25)


async def confirmations(api: Api, admin_token: str, count: int) -> list[str]:
    """`count` bookings with an e-mail address, each with a confirmation waiting in the outbox; their codes."""
    (slot_id, *_) = await bookable_slots(api, admin_token, capacity=count, slots_per_day=1)
    codes = []
    for number in range(count):
        confirmation = await book(api, slot_id, citizen=citizen(f"{40000000 + number}", email=f"c{number}@example.org"))
        codes.append(confirmation["booking"]["code"])
    return codes


def codes_in(sink: Sink) -> Counter[str]:
    """Which booking each received message was about (its code is in the subject or body)."""
    found: Counter[str] = Counter()
    for message in sink.messages:
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        found.update(word.strip(".,:;()") for word in (str(message["Subject"]) + " " + body.get_content()).split())
    return found


async def test_two_workers_send_every_confirmation_exactly_once(
    api: Api, admin_token: str, state: AppState, settings: Settings
) -> None:
    codes = await confirmations(api, admin_token, 40)
    with smtp_sink() as sink, ExitStack() as stack:
        env = worker_env(settings, sink)
        stack.enter_context(worker(env))
        stack.enter_context(worker(env))

        await wait_until(state, "SELECT count(*) FROM outbox WHERE status = 'SENT'", 40)

    assert len(sink.messages) == 40
    received = codes_in(sink)
    assert all(received[code] >= 1 for code in codes)
    assert sorted(m["To"].addresses[0].addr_spec for m in sink.messages) == sorted(
        f"c{n}@example.org" for n in range(40)
    )
    assert await scalar(state, "SELECT count(*) FROM outbox WHERE attempts <> 1") == 0


async def test_a_refusing_smtp_server_means_retries_then_failed_and_the_error_kept(
    api: Api, admin_token: str, state: AppState, settings: Settings
) -> None:
    await confirmations(api, admin_token, 2)
    with smtp_sink() as sink:
        sink.refuse = True
        env = worker_env(settings, sink, TURNERO_OUTBOX_MAX_ATTEMPTS="3", TURNERO_RETRY_BASE_SECONDS="0.5")
        with worker(env):
            await wait_until(state, "SELECT count(*) FROM outbox WHERE status = 'FAILED'", 2, seconds=60)

    assert await scalar(state, "SELECT min(attempts) FROM outbox") == 3
    assert "451" in await scalar(state, "SELECT min(last_error) FROM outbox")
    assert sink.messages == []


async def test_a_worker_killed_mid_send_loses_nothing_and_resends_at_most_once(
    api: Api, admin_token: str, state: AppState, settings: Settings
) -> None:
    codes = await confirmations(api, admin_token, 5)
    with smtp_sink() as sink:
        sink.stall_seconds = 30  # the first worker is stuck in the middle of its sends
        env = worker_env(settings, sink, TURNERO_DELIVERY_LEASE_SECONDS="4")
        with worker(env) as doomed:
            await wait_until(state, "SELECT count(*) FROM outbox WHERE attempts = 1", 5)
            doomed.kill()  # SIGKILL: no clean-up, no settling
            doomed.wait()
        assert await scalar(state, "SELECT count(*) FROM outbox WHERE status = 'PENDING'") == 5

        sink.stall_seconds = 0
        with worker(env):
            await wait_until(state, "SELECT count(*) FROM outbox WHERE status = 'SENT'", 5)

    received = codes_in(sink)
    assert all(1 <= received[code] <= 2 for code in codes), received
