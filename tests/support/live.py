"""A graphql-transport-ws client, as the screens and kiosks speak it, for the live-queue tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

QUEUE_EVENTS = """subscription($o: ID!, $a: Int) { queueEvents(officeId: $o, afterSeq: $a) {
    seq type ticket { id number status } desk { name } } }"""


class Socket:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self._stash: dict[str, list[dict[str, Any]]] = {}

    async def subscribe(self, operation_id: str, query: str, variables: dict[str, Any]) -> None:
        message = {"id": operation_id, "type": "subscribe", "payload": {"query": query, "variables": variables}}
        await self.connection.send(json.dumps(message))

    async def message(self, operation_id: str, seconds: float = 15) -> dict[str, Any]:
        """The next next/error/complete message of one operation (pings are answered, others kept)."""
        async with asyncio.timeout(seconds):
            while not self._stash.get(operation_id):
                message = json.loads(await self.connection.recv())
                if message["type"] == "ping":
                    await self.connection.send(json.dumps({"type": "pong"}))
                    continue
                self._stash.setdefault(message.get("id", ""), []).append(message)
        return self._stash[operation_id].pop(0)

    async def next(self, operation_id: str, seconds: float = 15) -> dict[str, Any]:
        message = await self.message(operation_id, seconds)
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        data: dict[str, Any] = message["payload"]["data"]
        return data

    async def events(self, operation_id: str, until_seq: int, seconds: float = 20) -> list[dict[str, Any]]:
        """queueEvents messages until one with `until_seq` arrives."""
        received: list[dict[str, Any]] = []
        while not received or received[-1]["seq"] < until_seq:
            received.append((await self.next(operation_id, seconds))["queueEvents"])
        return received


def error_codes(message: dict[str, Any]) -> list[str]:
    """The codes of a refused operation: in an `error` message, or in a `next` that carries only errors
    (how strawberry reports an error the subscription's resolver raised before its first event)."""
    errors = message["payload"] if message["type"] == "error" else message["payload"].get("errors") or []
    return [error.get("extensions", {}).get("code") for error in errors]


def websocket_url(base: str) -> str:
    return base.replace("http://", "ws://", 1) + "/graphql"


@asynccontextmanager
async def socket(base: str, token: str | None) -> AsyncIterator[Socket]:
    """A connection that has been acknowledged; the token goes in connection_init, as clients send it."""
    async with connect(websocket_url(base), subprotocols=["graphql-transport-ws"]) as connection:  # type: ignore[list-item]
        payload = {"authorization": f"Bearer {token}"} if token else {}
        await connection.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = json.loads(await asyncio.wait_for(connection.recv(), 10))
        assert ack["type"] == "connection_ack", ack
        yield Socket(connection)
