"""The execution budget of one HTTP request: how big its body may be, how long its operation may run, and
whether anyone is still waiting for the answer.

- A body over TURNERO_MAX_BODY_BYTES gets 413 without being read to the end: a Content-Length over the limit
  is refused before a byte is read, a chunked body as soon as the bytes read pass it.
- A GraphQL operation over HTTP runs as a task of its own, for at most TURNERO_OPERATION_TIMEOUT_SECONDS;
  then it is cancelled and answered 503 with the error OPERATION_TIMEOUT. Cancelling the task cancels the
  database statement it awaits (asyncpg sends PostgreSQL a cancel request) and rolls its transaction back.
- A client that hangs up cancels its operation the same way: nobody would read the answer.
- A query text over TURNERO_MAX_QUERY_CHARS, or a variable holding a string over TURNERO_MAX_VARIABLE_CHARS,
  is refused (413, QUERY_TOO_LARGE / VARIABLE_TOO_LARGE) before it is parsed (server/graphql_view.py asks).

- An anonymous request from an address whose query-cost budget was just found spent is answered 429
  RATE_LIMITED without being parsed (its operation would be refused anyway), after the Retry-After it names.

Websockets are left alone here: uvicorn's ws_max_size bounds their messages, and a subscription is meant to
last.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.metrics import CANCELLED_OPERATIONS, RATE_LIMITED
from core.ratelimit import SPENT_SECONDS
from core.runtime import AppState
from core.settings import Settings
from schema.ratelimit import MESSAGES

logger = logging.getLogger("turnero.limits")

TIMEOUT_CODE = "OPERATION_TIMEOUT"
HELD_AT_ONCE = 1024


class RequestTooLarge(Exception):
    """A request refused for its size: answered with `status` and a GraphQL error `code`."""

    def __init__(self, code: str, message: str, status: int = 413) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class TextLimits:
    max_query_chars: int = 32_768
    max_variable_chars: int = 10_000

    @classmethod
    def of(cls, settings: Settings) -> TextLimits:
        return cls(max_query_chars=settings.max_query_chars, max_variable_chars=settings.max_variable_chars)

    def check(self, query: object, variables: object) -> None:
        if isinstance(query, str) and len(query) > self.max_query_chars:
            raise RequestTooLarge(
                "QUERY_TOO_LARGE", f"The query text is longer than {self.max_query_chars} characters."
            )
        if isinstance(variables, Mapping):
            path = _overlong_string(variables, self.max_variable_chars, "$")
            if path is not None:
                message = f"Variable {path} holds a string longer than {self.max_variable_chars} characters."
                raise RequestTooLarge("VARIABLE_TOO_LARGE", message)


def _overlong_string(value: object, limit: int, path: str) -> str | None:
    """The path of the first string in `value` longer than `limit`, if any (iterative: JSON may nest deep)."""
    pending: list[tuple[str, object]] = [(path, value)]
    while pending:
        where, item = pending.pop()
        if isinstance(item, str):
            if len(item) > limit:
                return where
        elif isinstance(item, Mapping):
            pending.extend((f"{where}.{key}" if where != "$" else f"${key}", v) for key, v in item.items())
        elif isinstance(item, list):
            pending.extend((f"{where}[{n}]", v) for n, v in enumerate(item))
    return None


def error_body(code: str, message: str, **extensions: object) -> bytes:
    error = {"message": message, "extensions": {"code": code, **extensions}}
    return json.dumps({"data": None, "errors": [error]}).encode()


async def _answer(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _ClientLeft(Exception):
    pass


class RequestLimits:
    """Pure ASGI middleware: the body limit for every HTTP request, the deadline and the hang-up watch for
    the paths that run GraphQL operations."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        operation_timeout_seconds: float,
        timed_paths: frozenset[str] = frozenset({"/graphql"}),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.timeout = operation_timeout_seconds
        self.timed_paths = timed_paths
        self.held = 0  # refusals of spent addresses waiting to be sent

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(send)
            return
        try:
            body = await self._read_body(receive)
        except _ClientLeft:
            return
        if body is None:
            await self._too_large(send)
            return
        if scope["path"] not in self.timed_paths:
            await self.app(scope, _replay(body, receive), send)
            return
        if _spent(scope):
            await self._refuse_spent(send)
            return
        await self._run_timed(scope, body, receive, send)

    async def _refuse_spent(self, send: Send) -> None:
        """429 for an address whose budget is spent, sent only after the Retry-After it names: a client that
        honours it loses nothing, and one that does not (a script in a loop) is held to one request per
        connection and second instead of as many as the loop turns. At most HELD_AT_ONCE answers wait so;
        past that (a client opening connections by the thousand) they are sent at once."""
        RATE_LIMITED.labels("cost").inc()
        if self.held < HELD_AT_ONCE:
            self.held += 1
            try:
                await asyncio.sleep(SPENT_SECONDS)
            finally:
                self.held -= 1
        message = f"{MESSAGES['cost']} Try again in {SPENT_SECONDS} s."
        body = error_body("RATE_LIMITED", message, retryAfter=SPENT_SECONDS, bucket="cost")
        await _answer(send, 429, body, [(b"retry-after", str(SPENT_SECONDS).encode())])

    async def _too_large(self, send: Send) -> None:
        # uvicorn closes the connection after this answer rather than read the rest of the body
        message = f"The request body is larger than {self.max_body_bytes} bytes."
        await _answer(send, 413, error_body("REQUEST_TOO_LARGE", message, maxBytes=self.max_body_bytes))

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it passes the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _ClientLeft
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _run_timed(self, scope: Scope, body: bytes, receive: Receive, send: Send) -> None:
        """The operation runs in this task, under asyncio.timeout; a watcher task cancels it on a hang-up.
        (One extra task, not two and an asyncio.wait: this runs for every GraphQL request.)"""
        operation = asyncio.current_task()
        assert operation is not None
        started = answered = left = False

        async def tracked_send(message: Message) -> None:
            nonlocal started, answered
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                answered = True
            await send(message)

        def hung_up() -> None:
            nonlocal left
            if not answered:  # uvicorn also reports a disconnect once the answer is out
                left = True
                operation.cancel()

        watcher = asyncio.create_task(_wait_for_hang_up(receive, hung_up))
        try:
            async with asyncio.timeout(self.timeout):
                await self.app(scope, _replay(body), tracked_send)
        except TimeoutError:
            CANCELLED_OPERATIONS.labels("timeout").inc()
            logger.warning("operation cancelled after %.1f s (TURNERO_OPERATION_TIMEOUT_SECONDS)", self.timeout)
            if not started:
                message = f"The operation ran longer than {self.timeout:g} seconds and was cancelled."
                await _answer(send, 503, error_body(TIMEOUT_CODE, message, timeoutSeconds=self.timeout))
        except asyncio.CancelledError:
            if not left or operation.uncancel() > 0:
                raise  # the server is shutting down: not ours to swallow
            CANCELLED_OPERATIONS.labels("client_left").inc()
            logger.info("operation cancelled: the client hung up")
        finally:
            watcher.cancel()


def _spent(scope: Scope) -> bool:
    """An anonymous request (no Authorization header) from an address whose cost bucket was just found spent
    (core/ratelimit.py): refused before its GraphQL is parsed, so a client hammering in a loop costs little."""
    state: AppState | None = getattr(getattr(scope.get("app"), "state", None), "turnero", None)
    client = scope.get("client")
    if state is None or state.limiter is None or client is None:
        return False
    if any(name == b"authorization" for name, _ in scope["headers"]):
        return False
    return state.limiter.is_spent(client[0])


def _replay(body: bytes, then: Receive | None = None) -> Receive:
    """The body already read, as one message; after it, what `then` says (the server's own receive), or, for
    a timed operation whose watcher owns the real receive, nothing ever: the watcher cancels the operation
    when the client leaves."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if then is not None:
            return await then()
        await asyncio.Future()
        return {"type": "http.disconnect"}

    return replayed


async def _wait_for_hang_up(receive: Receive, hung_up: Callable[[], None]) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            hung_up()
            return
