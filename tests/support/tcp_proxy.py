"""A TCP proxy between a client and a real server, to cut the network for real: refuse new connections and
drop open ones, or let one request through and lose its answer (the server acted; the client never hears)."""

from __future__ import annotations

import asyncio
import contextlib


class Proxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.requests = 0  # HTTP requests forwarded so far
        self.lose_answer_of: int | None = None  # that request reaches the server, its answer never comes back
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def open(self) -> None:
        """Listens (again, on the same port once it had one)."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """New connections are refused, open ones are dropped; returns once they have wound down."""
        self._sever()
        await asyncio.gather(*self._connections, return_exceptions=True)

    def _sever(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._relay(client_reader, client_writer)
        finally:
            self._connections.discard(task)

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_writer.transport.abort()
            return
        self._writers.update((client_writer, upstream_writer))
        losing = asyncio.Event()

        async def requests() -> None:
            while data := await client_reader.read(65536):
                self.requests += data.count(b"POST /graphql")
                if self.lose_answer_of is not None and self.requests >= self.lose_answer_of:
                    losing.set()
                upstream_writer.write(data)
                await upstream_writer.drain()

        async def answers() -> None:
            while data := await upstream_reader.read(65536):
                if losing.is_set():
                    self._sever()  # the server answered; the network dies before the answer arrives
                    return
                client_writer.write(data)
                await client_writer.drain()

        try:
            await asyncio.gather(requests(), answers())
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            for writer in (client_writer, upstream_writer):
                self._writers.discard(writer)
                with contextlib.suppress(Exception):
                    writer.transport.abort()
