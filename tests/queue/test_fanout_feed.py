"""queueEvents from shared feeds: one rendering of each event for everyone asking the same thing, while
each subscriber keeps its own operation id, shape, visibility, replay and bounded buffer."""

from __future__ import annotations

import asyncio
import json
import logging
import socket as sockets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from core.runtime import AppState
from core.settings import Settings
from realtime.feed import QueueFeeds
from realtime.hub import QueueHub
from resolvers.queue.records import QueueEventRecord
from tests.support.api import Api
from tests.support.front_desk import FrontDesk, booking_due_in, front_desk
from tests.support.live import QUEUE_EVENTS, socket, websocket_url
from tests.support.processes import serving, suite_environment

pytestmark = pytest.mark.slow

BUFFER_LIMIT = 4
NEXT = '{{"id":{id},"type":"next","payload":'
WITH_BOOKING = """subscription($o: ID!, $a: Int) { queueEvents(officeId: $o, afterSeq: $a) {
    seq type ticket { number booking { code } } } }"""
OTHER_SHAPE = """subscription Screen($office: ID!) { queueEvents(officeId: $office, afterSeq: 0) {
    seq ticket { number service { slug } } } }"""
# a heavy message (29 copies of the ticket with its service's long description), so that a reader that
# stops reading fills the socket's buffers (megabytes, between the kernel's and the server's) after a few events
HEAVY = (
    "subscription($o: ID!, $a: Int) { queueEvents(officeId: $o, afterSeq: $a) { seq "
    + " ".join(f"t{n}: ticket {{ ...T }}" for n in range(29))
    + " } } fragment T on Ticket { id number status priority issuedAt calledAt recalls estimatedWaitAtIssue"
    " office { id slug name timezone checkinOpensMinutes checkinClosesMinutes } service { id slug name"
    " description durationMinutes ticketPrefix } }"
)


@pytest.fixture(scope="module")
def feed_server(settings: Settings) -> Iterator[str]:
    """One API process serving queueEvents from shared feeds, with small buffers so a stall shows soon."""
    env = suite_environment(
        settings,
        TURNERO_QUEUE_SHARED_FEED="1",
        TURNERO_QUEUE_BUFFER_LIMIT=str(BUFFER_LIMIT),
    )
    with serving(env) as base:
        yield base


async def frames(connection: ClientConnection, operation_id: str, count: int) -> list[str]:
    """The next `count` messages of a socket with one operation, as sent: each must be that operation's."""
    received: list[str] = []
    async with asyncio.timeout(15):
        while len(received) < count:
            text = str(await connection.recv())
            if json.loads(text)["type"] == "ping":
                await connection.send(json.dumps({"type": "pong"}))
                continue
            assert text.startswith(NEXT.format(id=json.dumps(operation_id))), text
            received.append(text)
    return received


def payloads(texts: list[str]) -> list[str]:
    """What follows the operation id: the part a shared feed renders once."""
    return [text[text.index(',"type"') :] for text in texts]


def events(texts: list[str], field: str = "queueEvents") -> list[dict[str, Any]]:
    return [json.loads(text)["payload"]["data"][field] for text in texts]


async def subscribe(connection: ClientConnection, operation_id: str, query: str, variables: dict[str, Any]) -> None:
    message = {"id": operation_id, "type": "subscribe", "payload": {"query": query, "variables": variables}}
    await connection.send(json.dumps(message))


async def act(front: FrontDesk, code: str) -> None:
    """Seven events: three walk-ins, a booking checked in, two calls and a no-show."""
    for _ in range(3):
        await front.issue()
    assert (await front.check_in(code))["__typename"] == "Ticket"
    first = await front.call()
    await front.move("markNoShow", first["id"])
    await front.call()


async def test_subscribers_asking_the_same_get_the_same_bytes_each_under_its_own_id(
    api: Api, admin_token: str, state: AppState, feed_server: str
) -> None:
    front = await front_desk(api, admin_token)
    code = await booking_due_in(front, state, 10)
    office = front.office_id
    async with (
        socket(feed_server, front.display) as one,
        socket(feed_server, front.display) as two,
        socket(feed_server, front.kiosk) as three,
        socket(feed_server, front.display) as other,
        socket(feed_server, front.clerk) as clerk,
        socket(feed_server, front.display) as screen,
    ):
        # the same document and office; afterSeq apart, the same variables
        await subscribe(one.connection, "one", QUEUE_EVENTS, {"o": office, "a": 0})
        await subscribe(two.connection, "2", QUEUE_EVENTS, {"o": office, "a": 0})
        await subscribe(three.connection, "three-3", QUEUE_EVENTS, {"o": office})
        await subscribe(other.connection, "o", OTHER_SHAPE, {"office": office})
        await subscribe(clerk.connection, "c", WITH_BOOKING, {"o": office, "a": 0})
        await subscribe(screen.connection, "s", WITH_BOOKING, {"o": office, "a": 0})
        await asyncio.sleep(0.5)  # the one without afterSeq starts from now: let it start

        await act(front, code)

        texts = {
            name: await frames(connection.connection, operation_id, 7)
            for name, connection, operation_id in (
                ("one", one, "one"),
                ("two", two, "2"),
                ("three", three, "three-3"),
                ("other", other, "o"),
                ("clerk", clerk, "c"),
                ("screen", screen, "s"),
            )
        }
    seen = events(texts["one"])
    assert [e["seq"] for e in seen] == list(range(1, 8))
    assert [e["type"] for e in seen] == ["ISSUED"] * 4 + ["CALLED", "NO_SHOW", "CALLED"]
    assert seen[4]["desk"] == {"name": "1"}
    # a display and a kiosk of the office, asking the same: the same bytes, only the id differs
    assert payloads(texts["one"]) == payloads(texts["two"]) == payloads(texts["three"])
    assert texts["two"][0].startswith('{"id":"2","type":"next","payload":{"data":{"queueEvents":{"seq":1,')

    # another selection set gets its own shape
    assert events(texts["other"]) == [
        {"seq": e["seq"], "ticket": {"number": e["ticket"]["number"], "service": {"slug": "dni"}}} for e in seen
    ]
    # the booking behind a checked-in ticket: the clerk sees it, the office's screen does not
    staff, screen_view = events(texts["clerk"]), events(texts["screen"])
    assert [e["seq"] for e in staff] == [e["seq"] for e in screen_view] == list(range(1, 8))
    assert staff[3]["ticket"]["booking"] == {"code": code}
    assert screen_view[3]["ticket"] == {"number": staff[3]["ticket"]["number"], "booking": None}
    assert [e["ticket"]["booking"] for n, e in enumerate(staff) if n != 3] == [None] * 6


class Stalled:
    """A subscriber that stops reading: a small receive buffer, no compression, and nothing read from the
    socket until the test says so (a client library would keep reading into its own memory)."""

    def __init__(self, raw: sockets.socket, protocol: ClientProtocol) -> None:
        self.raw = raw
        self.protocol = protocol
        self._events: list[Frame] = []

    async def send(self, message: dict[str, Any]) -> None:
        self.protocol.send_text(json.dumps(message).encode())
        for data in self.protocol.data_to_send():
            await asyncio.get_running_loop().sock_sendall(self.raw, data)

    async def recv(self) -> dict[str, Any]:
        """The next text message, reading the socket again."""
        while not self._events:
            data = await asyncio.get_running_loop().sock_recv(self.raw, 1 << 16)
            assert data, "the server closed the connection"
            self.protocol.receive_data(data)
            self._events += [e for e in self.protocol.events_received() if isinstance(e, Frame)]
            self._events = [e for e in self._events if e.opcode is Opcode.TEXT]
        message: dict[str, Any] = json.loads(bytes(self._events.pop(0).data))
        return message


@asynccontextmanager
async def stalled_socket(base: str, token: str) -> AsyncIterator[Stalled]:
    raw = sockets.socket()
    raw.setsockopt(sockets.SOL_SOCKET, sockets.SO_RCVBUF, 4096)
    raw.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(raw, ("127.0.0.1", int(base.rsplit(":", 1)[1])))
    protocol = ClientProtocol(parse_uri(websocket_url(base)), subprotocols=[Subprotocol("graphql-transport-ws")])
    protocol.send_request(protocol.connect())
    try:
        for data in protocol.data_to_send():
            await loop.sock_sendall(raw, data)
        while not protocol.events_received():  # the handshake's response
            protocol.receive_data(await loop.sock_recv(raw, 1 << 16))
        stalled = Stalled(raw, protocol)
        await stalled.send({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        assert (await asyncio.wait_for(stalled.recv(), 10))["type"] == "connection_ack"
        yield stalled
    finally:
        raw.close()


async def test_a_subscriber_that_stops_reading_is_dropped_without_holding_up_the_others(
    api: Api, admin_token: str, feed_server: str
) -> None:
    front = await front_desk(api, admin_token)
    await api.service(admin_token, slug="dni", ticketPrefix="D", description="a long description " * 200)
    variables = {"o": front.office_id, "a": 0}
    total = 60
    async with (
        socket(feed_server, front.display) as reader,
        socket(feed_server, front.display) as other_reader,
        stalled_socket(feed_server, front.display) as stalled,
    ):
        for connection, operation_id in ((reader, "r"), (other_reader, "r2")):
            await subscribe(connection.connection, operation_id, HEAVY, variables)
        await stalled.send({"id": "stalled", "type": "subscribe", "payload": {"query": HEAVY, "variables": variables}})

        for seq in range(1, total + 1):
            await front.issue()
            # each event reaches the readers while the stalled one's socket and buffer fill up
            for connection, operation_id in ((reader, "r"), (other_reader, "r2")):
                [text] = await frames(connection.connection, operation_id, 1)
                assert events([text])[0]["seq"] == seq

        # once it reads again: what fitted, in order, then the drop, then the end of the subscription
        messages: list[dict[str, Any]] = []
        async with asyncio.timeout(15):
            while not messages or messages[-1]["type"] != "complete":
                messages.append(await stalled.recv())
    got = [m["payload"]["data"]["queueEvents"]["seq"] for m in messages[:-2]]
    assert got == list(range(1, len(got) + 1))
    assert len(got) < total
    assert messages[-2] == {
        "id": "stalled",
        "type": "next",
        "payload": {
            "data": None,
            "errors": [
                {
                    "message": "This subscription fell behind and was dropped; subscribe again with afterSeq.",
                    "extensions": {"code": "SUBSCRIBER_DROPPED"},
                }
            ],
        },
    }
    assert messages[-1] == {"id": "stalled", "type": "complete"}

    # resubscribing with afterSeq gets exactly the rest
    async with socket(feed_server, front.display) as again:
        await subscribe(again.connection, "again", HEAVY, {"o": front.office_id, "a": got[-1]})
        rest = events(await frames(again.connection, "again", total - got[-1]))
    assert [e["seq"] for e in rest] == list(range(got[-1] + 1, total + 1))


async def test_a_feed_renders_each_event_once_for_all_its_members_and_catches_up_when_behind(
    api: Api, admin_token: str, state: AppState, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="turnero.realtime")
    front = await front_desk(api, admin_token)
    office = int(front.office_id)
    assert settings.redis_url
    hub = QueueHub(state.engine, settings.redis_url, buffer_limit=2, poll_seconds=0.3)
    await hub.start()
    feeds = QueueFeeds(hub, state.engine, buffer_limit=16)
    rendered: list[int] = []
    hold = asyncio.Event()

    async def render(event: QueueEventRecord) -> str:
        await hold.wait()
        rendered.append(event.seq)
        return f"event {event.seq}"

    try:
        async with feeds.member("k", office, render) as a, feeds.member("k", office, render) as b:
            # six events while the feed cannot render: its hub buffer (2) overflows and the hub drops it
            for _ in range(6):
                await front.issue()  # published by this process: the hub hears the doorbell over Redis
            await asyncio.sleep(1)
            hold.set()
            for member in (a, b):
                texts = [(await asyncio.wait_for(member.get(), 10)).text for _ in range(6)]
                assert texts == [f"event {seq}" for seq in range(1, 7)]
        assert rendered == list(range(1, 7))  # once each, for both members, none lost to the drop
        assert "fell behind" in caplog.text
        await asyncio.sleep(0.1)
        assert hub.subscribers(office) == 0  # the last member gone, the feed stops listening
    finally:
        await feeds.stop()
        await hub.stop()
