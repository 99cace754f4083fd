"""The per-process hub: slow subscribers are dropped without holding anyone up, and a cut Redis
subscription delays events but never loses them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from core.runtime import AppState
from core.settings import Settings
from realtime.buffer import Buffer, SubscriberDropped
from realtime.hub import QueueHub
from tests.support.api import Api
from tests.support.front_desk import FrontDesk, front_desk


async def test_a_full_buffer_drops_its_subscriber_instead_of_growing() -> None:
    buffer: Buffer[int] = Buffer(limit=3)
    assert [buffer.push(n) for n in range(3)] == [True, True, True]
    assert await buffer.get() == 0
    assert buffer.push(3)
    assert not buffer.push(4)  # four waiting: one too many
    assert buffer.dropped
    assert not buffer.push(5)
    with pytest.raises(SubscriberDropped):
        await buffer.get()


async def test_a_waiting_reader_is_woken_by_a_push_and_by_being_dropped() -> None:
    buffer: Buffer[int] = Buffer(limit=1)
    reader = asyncio.create_task(buffer.get())
    await asyncio.sleep(0)
    buffer.push(7)
    assert await asyncio.wait_for(reader, 1) == 7
    assert buffer.push(8)
    assert buffer.drain() == 1
    reader = asyncio.create_task(buffer.get())
    await asyncio.sleep(0)
    buffer.push(9)
    buffer.push(10)  # before the reader ran: an overflow, so the waiting reader is told, not left waiting
    with pytest.raises(SubscriberDropped):
        await asyncio.wait_for(reader, 1)


@pytest.fixture
async def hub(state: AppState, settings: Settings) -> AsyncIterator[QueueHub]:
    assert settings.redis_url
    hub = QueueHub(state.engine, settings.redis_url, buffer_limit=3, poll_seconds=0.3)
    await hub.start()
    yield hub
    await hub.stop()


@pytest.fixture
async def front(api: Api, admin_token: str) -> FrontDesk:
    return await front_desk(api, admin_token)


async def test_a_stalled_subscriber_is_dropped_while_the_others_get_every_event(
    hub: QueueHub, front: FrontDesk
) -> None:
    office = int(front.office_id)
    async with hub.subscribe(office) as stalled, hub.subscribe(office) as reader:
        received: list[int] = []
        for _ in range(8):
            await front.issue()  # published to Redis by the test's own process: this hub hears the doorbell
            received.append((await asyncio.wait_for(reader.get(), 10)).seq)
        assert received == list(range(1, 9))
        assert hub.subscribers(office) == 1  # the stalled one is gone; nothing of it is kept
        with pytest.raises(SubscriberDropped):
            await stalled.get()


async def test_events_still_arrive_when_the_redis_subscription_is_cut(
    hub: QueueHub, front: FrontDesk, state: AppState
) -> None:
    office = int(front.office_id)
    async with hub.subscribe(office) as reader:
        await front.issue()
        assert (await asyncio.wait_for(reader.get(), 10)).seq == 1

        killed = await state.redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")  # type: ignore[no-untyped-call]
        assert killed >= 1

        for seq in range(2, 6):
            await front.issue()
            assert (await asyncio.wait_for(reader.get(), 10)).seq == seq
        # and the doorbell comes back: the hub has rebuilt its subscription
        await asyncio.sleep(1)
        numsub = dict(await state.redis.pubsub_numsub(f"turnero:queue:{office}"))
        assert numsub[f"turnero:queue:{office}".encode()] >= 1
