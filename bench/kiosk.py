"""The kiosk: what the write-ahead spool costs an arrival, and how fast a spool drains after a network cut.

    TURNERO_BENCH_DATABASE=… DATABASE_URL=… REDIS_URL=… .venv/bin/python -m bench.kiosk [--arrivals 300]

Starts one `python main.py serve` on the bench database, sets up an office with a kiosk through the API,
and prints JSON, arrivals per second of:
- baseline: `issueTicket` with an idempotency key, sent straight with httpx, one after another;
- online: the kiosk's `Arrivals.walk_in` (spool write, fully synced, then the same request, then settle);
- offline: the same while the network is cut (spool write and a number from the reserved block);
- replay: draining that spool once the network is back (one request and one settle per arrival).
Each as a ratio of the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.common import ROOT, bench_environment, server
from kiosk_client.api import KioskApi, TicketInfo
from kiosk_client.arrivals import Arrivals, OfflineTicket
from kiosk_client.spool import Spool
from tests.support.tcp_proxy import Proxy

PASSWORD = "bench kiosk password"
WARM_UP = 30


async def graphql(http: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = (await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)).json()
    if "errors" in body:
        raise RuntimeError(body["errors"])
    return next(iter(body["data"].values()))


async def set_up(base: str) -> tuple[str, str, str]:
    """A fresh office with one walk-in service, a desk and a kiosk: (office id, service id, kiosk token)."""
    slug = f"kiosk-bench-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        session = await graphql(
            http,
            "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { ... on Session { token } } }",
            {"u": "kiosk-bench", "p": PASSWORD},
        )
        admin = session["token"]
        office = await graphql(
            http,
            "mutation($i: OfficeInput!) { upsertOffice(input: $i) { ... on Office { id } } }",
            {"i": {"slug": slug, "name": slug, "timezone": "America/Argentina/Cordoba"}},
            admin,
        )
        service = await graphql(
            http,
            "mutation($i: ServiceInput!) { upsertService(input: $i) { ... on Service { id } } }",
            {"i": {"slug": slug, "name": slug, "durationMinutes": 10, "ticketPrefix": "K"}},
            admin,
        )
        await graphql(
            http,
            "mutation($i: DeskInput!) { upsertDesk(input: $i) { __typename } }",
            {"i": {"officeId": office["id"], "name": "1", "serviceIds": [service["id"]]}},
            admin,
        )
        device = await graphql(
            http,
            'mutation($o: ID!) { issueDeviceToken(officeId: $o, kind: KIOSK, name: "bench") {'
            " ... on DeviceToken { token } } }",
            {"o": office["id"]},
            admin,
        )
        return office["id"], service["id"], device["token"]


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1)


async def measure(base: str, arrivals_count: int, spool_dir: Path) -> dict[str, Any]:
    office_id, service_id, token = await set_up(base)
    proxy = Proxy(int(base.rsplit(":", 1)[1]))
    await proxy.open()
    async with KioskApi(base, token) as direct:
        for _ in range(WARM_UP):  # a fresh process: pool, parser and validation caches
            await direct.issue_ticket(office_id, service_id, idempotency_key=str(uuid.uuid4()))
        started = time.perf_counter()
        for _ in range(arrivals_count):
            ticket = await direct.issue_ticket(office_id, service_id, idempotency_key=str(uuid.uuid4()))
            assert isinstance(ticket, TicketInfo), ticket
        baseline = rate(arrivals_count, time.perf_counter() - started)

    spool = Spool(spool_dir / "spool.sqlite3")
    async with KioskApi(proxy.url, token) as api:
        kiosk = Arrivals(api, spool, office_id, block_size=min(500, arrivals_count))
        office = await kiosk.refresh()
        assert office is not None
        service = office.services[0]
        started = time.perf_counter()
        for _ in range(arrivals_count):
            assert isinstance(await kiosk.walk_in(service), TicketInfo)
        online = rate(arrivals_count, time.perf_counter() - started)

        await proxy.cut()
        started = time.perf_counter()
        for _ in range(arrivals_count):
            assert isinstance(await kiosk.walk_in(service), OfflineTicket)
        offline = rate(arrivals_count, time.perf_counter() - started)

        await proxy.open()
        started = time.perf_counter()
        assert await kiosk.replay() == arrivals_count
        replay = rate(arrivals_count, time.perf_counter() - started)
    spool.close()
    await proxy.cut()
    return {
        "arrivals": arrivals_count,
        "baseline_issue_ticket_per_s": baseline,
        "kiosk_online_per_s": online,
        "kiosk_online_vs_baseline": round(online / baseline, 2),
        "kiosk_offline_per_s": offline,
        "kiosk_offline_vs_baseline": round(offline / baseline, 2),
        "replay_per_s": replay,
        "replay_vs_baseline": round(replay / baseline, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--arrivals", type=int, default=300)
    args = parser.parse_args()
    env = bench_environment()
    admin = subprocess.run(
        [sys.executable, "main.py", "create-admin", "kiosk-bench"],
        cwd=ROOT,
        env=env | {"TURNERO_ADMIN_PASSWORD": PASSWORD},
        capture_output=True,
        text=True,
        check=False,
    )
    if admin.returncode != 0:
        raise SystemExit(admin.stderr)
    with server(env) as base, tempfile.TemporaryDirectory() as spool_dir:
        print(json.dumps(asyncio.run(measure(base, args.arrivals, Path(spool_dir))), indent=2))


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
