"""What one client may hold open over websockets: sockets are cheap to open and dear to keep.

- `connection_init` must come within TURNERO_WS_INIT_SECONDS (3) of the handshake, or the socket is closed
  with 4408 (strawberry's own timer and code; its default is a minute, time enough to pile up thousands).
- Anonymous sockets (no token in `connection_init`) are counted per client address in this process: past
  TURNERO_WS_ANONYMOUS_PER_ADDRESS (20) the next one is closed with 4429 instead of acknowledged. Per process,
  not across processes in Redis: a count in Redis needs two round trips per socket and a lease per entry
  so that a crashed process does not leave its sockets counted for ever; a process already bounds what one
  address can cost it, and N processes allow N times the limit.
- An anonymous socket runs at most TURNERO_WS_ANONYMOUS_SUBSCRIPTIONS (5) operations at once; the next gets
  an `error` message coded LIMIT_EXCEEDED and the socket stays open. Staff, devices and partners are not
  counted: a display or a desk holds what its work needs, and its token answers for it.
- Only graphql-transport-ws is spoken: the legacy graphql-ws protocol has no connection_init timer and
  would go around all of the above, so such a socket is closed with 4406.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from graphql import GraphQLError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    SubscribeMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from schema.context import Context

TOO_MANY_SOCKETS = 4429
TOO_MANY_SOCKETS_REASON = "Too many anonymous connections from this address"
TOO_MANY_SUBSCRIPTIONS = "LIMIT_EXCEEDED"


def connection_authorization(params: dict[str, Any]) -> object | None:
    """The token a `connection_init` payload carries, if any: without one the socket is anonymous."""
    return params.get("authorization") or params.get("Authorization")


def connection_language(params: dict[str, Any]) -> str | None:
    """The languages a `connection_init` payload asks for, as an Accept-Language value (browsers cannot set
    headers on a websocket, so clients say it here as they give their token)."""
    said = params.get("Accept-Language") or params.get("acceptLanguage") or params.get("accept-language")
    return said if isinstance(said, str) else None


class AnonymousSockets:
    """How many anonymous sockets each client address holds open in this process."""

    def __init__(self) -> None:
        self._open: Counter[str] = Counter()

    def admit(self, address: str, limit: int) -> bool:
        if self._open[address] >= limit:
            return False
        self._open[address] += 1
        return True

    def release(self, address: str) -> None:
        self._open[address] -= 1
        if self._open[address] <= 0:
            del self._open[address]

    def held(self, address: str) -> int:
        return self._open[address]


ANONYMOUS_SOCKETS = AnonymousSockets()


class LimitedTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws with the limits above; everything else as strawberry does it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connection_init_wait_timeout = timedelta(seconds=self.context.state.settings.ws_init_seconds)
        # the address this socket is counted against while it is open and anonymous
        self._anonymous_address: str | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        payload = message.get("payload", {})
        first = not self.connection_init_received and not self.connection_timed_out
        if first and isinstance(payload, dict) and connection_authorization(payload) is None:
            address = self.context.client_address
            if not ANONYMOUS_SOCKETS.admit(address, self.context.state.settings.ws_anonymous_per_address):
                if self.connection_init_timeout_task:
                    self.connection_init_timeout_task.cancel()
                await self.websocket.close(code=TOO_MANY_SOCKETS, reason=TOO_MANY_SOCKETS_REASON)
                return
            self._anonymous_address = address
        await super().handle_connection_init(message)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        limit = self.context.state.settings.ws_anonymous_subscriptions
        if (
            self._anonymous_address is not None
            and self.connection_acknowledged
            and message["id"] not in self.operations
            and len(self.operations) >= limit
        ):
            error = GraphQLError(
                f"An anonymous connection may run at most {limit} subscriptions at once.",
                extensions={"code": TOO_MANY_SUBSCRIPTIONS},
            )
            await self.send_message(ErrorMessage(id=message["id"], type="error", payload=[error.formatted]))
            return
        await super().handle_subscribe(message)

    async def shutdown(self) -> None:
        try:
            await super().shutdown()
        finally:
            address, self._anonymous_address = self._anonymous_address, None
            if address is not None:
                ANONYMOUS_SOCKETS.release(address)


class LegacyProtocolRefused(BaseGraphQLWSHandler[Context, None]):
    """The legacy graphql-ws protocol, refused (see above)."""

    async def handle(self) -> None:
        await self.websocket.close(4406, "Subprotocol not acceptable: use graphql-transport-ws")
