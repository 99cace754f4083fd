"""A shared feed writing its frames to caught-up subscribers' sockets itself (realtime/transport_ws.py,
TURNERO_QUEUE_DIRECT_WRITE): the same bytes as the ordinary way, in order with every other message on the
connection, and nothing said or left behind when a socket goes away in the middle of a fan-out.

(A subscriber that stops reading, with direct writes on as `serve` runs, is tests/queue/test_fanout_feed.py's.)"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket as sockets
import struct
import tempfile
from collections.abc import Iterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from websockets.frames import Frame, Opcode

from core.settings import Settings
from realtime.frames import text_frame
from tests.queue.test_fanout_feed import Stalled, frames, payloads, stalled_socket, subscribe
from tests.support.api import Api
from tests.support.front_desk import front_desk
from tests.support.live import QUEUE_EVENTS, socket
from tests.support.metrics import counts_by_label
from tests.support.processes import serving, suite_environment

pytestmark = pytest.mark.slow


def written(base: str, way: str) -> float:
    """The server's count of shared-feed messages sent one way ("direct" or "task")."""
    exposition = httpx.get(f"{base}/metrics", timeout=10).text
    return counts_by_label(exposition, "turnero_queue_feed_messages", "way").get(way, 0.0)


@pytest.fixture(scope="module")
def servers(settings: Settings) -> Iterator[tuple[str, str]]:
    """Two API processes on the same database: frames written directly (as `serve` runs), and not."""
    with (
        serving(suite_environment(settings, TURNERO_QUEUE_DIRECT_WRITE="1")) as direct,
        serving(suite_environment(settings, TURNERO_QUEUE_DIRECT_WRITE="0")) as ordinary,
    ):
        yield direct, ordinary


@pytest.mark.parametrize("length", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_a_text_frame_is_the_one_websockets_would_send(length: int) -> None:
    text = "é" * (length // 2) + "a" * (length % 2)  # a length in bytes, with characters of two bytes
    assert text_frame(text) == Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


async def test_direct_writes_carry_the_same_messages_as_the_ordinary_way_compressed_or_not(
    api: Api, admin_token: str, servers: tuple[str, str]
) -> None:
    direct, ordinary = servers
    front = await front_desk(api, admin_token)
    variables = {"o": front.office_id}
    before = written(direct, "direct")
    async with (
        # websockets' client offers permessage-deflate, which the server accepts: a frame written directly
        # is an uncompressed message on a compressed connection (RSV1 unset), which the client must take
        socket(direct, front.display) as deflated,
        socket(ordinary, front.display) as baseline,
        stalled_socket(direct, front.display) as plain,  # no extensions at all
    ):
        assert deflated.connection.response is not None
        assert "permessage-deflate" in deflated.connection.response.headers.get("Sec-WebSocket-Extensions", "")
        await subscribe(deflated.connection, "screen", QUEUE_EVENTS, variables)
        await subscribe(baseline.connection, "screen", QUEUE_EVENTS, variables)
        subscription = {"query": QUEUE_EVENTS, "variables": variables}
        await plain.send({"id": "screen", "type": "subscribe", "payload": subscription})
        await asyncio.sleep(0.5)  # without afterSeq a subscription starts from now: let them start

        got_direct: list[str] = []
        got_ordinary: list[str] = []
        got_plain: list[str] = []

        async def seen() -> None:
            # each event read off all three sockets before the next step: an event's ticket is rendered as it is
            # when its server sends it, so a step taken before the other server sent it would change that message
            got_direct.extend(await frames(deflated.connection, "screen", 1))
            got_ordinary.extend(await frames(baseline.connection, "screen", 1))
            got_plain.append(json.dumps(await plain.recv(), separators=(",", ":")))

        await front.issue()
        await seen()
        first = await front.call()
        await seen()
        await front.move("markNoShow", first["id"])
        await seen()
        await front.issue()
        await seen()
    assert got_direct == got_ordinary
    assert [json.loads(text) for text in got_plain] == [json.loads(text) for text in got_direct]
    assert payloads(got_direct)[0].startswith(',"type":"next","payload":{"data":{"queueEvents":{"seq":')
    # and the frames did go the direct way on one server, and never on the other
    assert written(direct, "direct") - before >= 8
    assert written(ordinary, "direct") == 0


async def test_pings_other_operations_and_complete_keep_their_place_among_direct_writes(
    api: Api, admin_token: str, servers: tuple[str, str]
) -> None:
    direct, _ = servers
    front = await front_desk(api, admin_token)
    total = 12
    async with socket(direct, front.display) as screen:
        connection = screen.connection
        await subscribe(connection, "a", QUEUE_EVENTS, {"o": front.office_id, "a": 0})
        await subscribe(connection, "b", QUEUE_EVENTS, {"o": front.office_id, "a": 0})
        received: list[dict[str, Any]] = []

        async def read_until(done: Any) -> None:
            async with asyncio.timeout(20):
                while not done():
                    received.append(json.loads(await connection.recv()))

        def pongs() -> int:
            return sum(1 for m in received if m["type"] == "pong")

        for round_ in range(total):
            await front.issue()
            # graphql-transport-ws pings while the event is on its way: answered the ordinary way, between frames
            for _ in range(3):
                await connection.send(json.dumps({"type": "ping"}))
            await read_until(lambda r=round_: pongs() == 3 * (r + 1))
        # the client ends "b" (strawberry's own complete path); "a" goes on alone
        await connection.send(json.dumps({"id": "b", "type": "complete"}))
        await front.issue()
        await read_until(lambda: sum(1 for m in received if m.get("id") == "a") == total + 1)
        await connection.send(json.dumps({"type": "ping"}))
        await read_until(lambda: pongs() == 3 * total + 1)
        await asyncio.sleep(0.3)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.5):
                received.append(json.loads(await connection.recv()))

    assert {m["type"] for m in received} == {"next", "pong"}
    assert pongs() == 3 * total + 1
    seqs = {
        op: [m["payload"]["data"]["queueEvents"]["seq"] for m in received if m.get("id") == op] for op in ("a", "b")
    }
    assert seqs["a"] == list(range(1, total + 2))
    assert seqs["b"] == list(range(1, len(seqs["b"]) + 1))
    assert total <= len(seqs["b"]) <= total + 1


def seqs(texts: list[str]) -> list[int]:
    return [json.loads(text)["payload"]["data"]["queueEvents"]["seq"] for text in texts]


def reset(raw: sockets.socket) -> None:
    """Closes a socket with a reset, as a screen that loses power mid-message does to the server."""
    raw.setsockopt(sockets.SOL_SOCKET, sockets.SO_LINGER, struct.pack("ii", 1, 0))
    raw.close()


async def test_sockets_gone_in_the_middle_of_a_fan_out_cost_nothing_and_others_get_everything(
    api: Api, admin_token: str, settings: Settings
) -> None:
    front = await front_desk(api, admin_token)
    variables = {"o": front.office_id, "a": 0}
    total = 10
    with tempfile.TemporaryFile("w+") as output:
        with serving(suite_environment(settings, TURNERO_QUEUE_DIRECT_WRITE="1"), output=output) as base:
            async with AsyncExitStack() as stack, socket(base, front.display) as keeper:
                await subscribe(keeper.connection, "k", QUEUE_EVENTS, variables)
                doomed: list[Stalled] = []
                for n in range(40):
                    doomed.append(await stack.enter_async_context(stalled_socket(base, front.display)))
                    subscription = {"query": QUEUE_EVENTS, "variables": variables}
                    await doomed[-1].send({"id": f"d{n}", "type": "subscribe", "payload": subscription})
                await front.issue()
                assert seqs(await frames(keeper.connection, "k", 1)) == [1]

                # events published while the sockets are reset one after the other, some between two writes
                async def publish() -> None:
                    for _ in range(total - 1):
                        await front.issue()

                publishing = asyncio.create_task(publish())
                for stalled in doomed:
                    reset(stalled.raw)
                    await asyncio.sleep(0.005)
                await publishing
                texts = await frames(keeper.connection, "k", total - 1)
            assert seqs(texts) == list(range(2, total + 1))
            await asyncio.sleep(1)
            async with httpx.AsyncClient() as http:
                assert (await http.get(f"{base}/health/ready", timeout=10)).status_code == 200
        output.seek(0)
        log = output.read()
    problems = [
        line
        for line in log.splitlines()
        if any(sign in line for sign in ("Traceback", '"level": "ERROR"', "Exception", '"logger": "asyncio"'))
    ]
    assert not problems, log[-3000:]
