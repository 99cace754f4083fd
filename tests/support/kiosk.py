"""A kiosk against a real running Turnero: `main.py serve` on the test database, reached through a proxy that
can cut the network, with the office's front desk set up through the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk_client.api import KioskApi
from kiosk_client.arrivals import Arrivals
from kiosk_client.config import KioskConfig
from kiosk_client.spool import Spool
from tests.support.front_desk import FrontDesk
from tests.support.tcp_proxy import Proxy


@asynccontextmanager
async def proxy_to(server: str) -> AsyncIterator[Proxy]:
    proxy = Proxy(int(server.rsplit(":", 1)[1]))
    await proxy.open()
    try:
        yield proxy
    finally:
        await proxy.cut()


@dataclass
class Kiosk:
    config: KioskConfig
    api: KioskApi
    spool: Spool
    arrivals: Arrivals
    proxy: Proxy


@asynccontextmanager
async def kiosk(front: FrontDesk, server: str, tmp_path: Path, **settings: Any) -> AsyncIterator[Kiosk]:
    """A kiosk of the front desk's office, its own spool under tmp_path, talking through a proxy."""
    async with proxy_to(server) as proxy:
        defaults: dict[str, Any] = {
            "printer": f"file://{tmp_path / 'printer.bin'}",
            "ticket_url": "https://turnos.example/tickets/{ticket_id}",
            "block_size": 30,
            "replay_every_seconds": 3600,
        }
        config = KioskConfig(
            server_url=proxy.url,
            token=front.kiosk,
            office_id=front.office_id,
            spool_path=tmp_path / "spool.sqlite3",
            **(defaults | settings),
        )
        spool = Spool(config.spool_path)
        async with KioskApi(config.server_url, config.token, timeout=config.request_seconds) as api:
            arrivals = Arrivals(api, spool, config.office_id, block_size=config.block_size)
            try:
                yield Kiosk(config=config, api=api, spool=spool, arrivals=arrivals, proxy=proxy)
            finally:
                spool.close()
