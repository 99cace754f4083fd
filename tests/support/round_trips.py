"""Round trips counted where they leave the process, for tests and benches that hold the book path to its
count: PostgreSQL writes on each pooled connection's socket (asyncpg writes each request to the server once:
a statement's Bind and Execute, a BEGIN, a COMMIT, a ping; a Parse apart, once per statement and connection),
and the commands sent to Redis. Only while inside `sending`, and only this process's own connections."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio.connection import AbstractConnection as RedisConnection
from sqlalchemy import event

from core.runtime import AppState


@dataclass
class Sent:
    """What one request sent: its statements (as SQLAlchemy executed them) and its round trips, counted where
    they leave the process: each write on a PostgreSQL connection's socket (by the first message's type: P
    prepares a statement, once per connection; anything else runs one) and each command sent to Redis."""

    statements: list[str] = field(default_factory=list)
    prepared: int = 0
    executed: int = 0
    redis: int = 0

    def __add__(self, other: Sent) -> Sent:
        return Sent(
            self.statements + other.statements,
            self.prepared + other.prepared,
            self.executed + other.executed,
            self.redis + other.redis,
        )


@contextmanager
def sending(state: AppState) -> Iterator[Sent]:
    sent = Sent()
    patched: list[Any] = []

    def on_execute(*args: Any) -> None:
        sent.statements.append(" ".join(str(args[2]).split())[:60])

    def on_checkout(dbapi_connection: Any, *_: Any) -> None:
        transport = dbapi_connection.driver_connection._transport
        if "write" in vars(transport):
            return
        original = transport.write

        def write(data: Any) -> None:
            if bytes(data[:1]) == b"P":
                sent.prepared += 1
            else:
                sent.executed += 1
            original(data)

        transport.write = write
        patched.append(transport)

    original_send = RedisConnection.send_packed_command

    async def send_packed_command(self: RedisConnection, command: Any, check_health: bool = True) -> None:
        sent.redis += 1
        await original_send(self, command, check_health)

    own = "send_packed_command" in vars(RedisConnection)
    setattr(RedisConnection, "send_packed_command", send_packed_command)  # noqa: B010
    engine = state.engine.sync_engine
    listeners = (("before_cursor_execute", on_execute), ("checkout", on_checkout))
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield sent
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)
        for transport in patched:
            del transport.write
        if own:
            setattr(RedisConnection, "send_packed_command", original_send)  # noqa: B010
        else:
            delattr(RedisConnection, "send_packed_command")
