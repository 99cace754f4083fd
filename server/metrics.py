"""GET /metrics: the Prometheus text format.

Who may scrape: loopback and private addresses (a Prometheus beside the API, in its network) freely; any
other address only with `Authorization: Bearer <TURNERO_METRICS_TOKEN>`, and not at all when no token is set.
The address is the one uvicorn derived (X-Forwarded-For only from FORWARDED_ALLOW_IPS proxies).

What a scrape costs: nothing but formatting. The gauges of shared state (outbox and webhook depths from
PostgreSQL, job failures from Redis) are refreshed by a background task of each serving process every
TURNERO_METRICS_REFRESH_SECONDS, so a scraper hammering /metrics never runs a `count(*)`; the pool and
subscriber gauges are this process's own memory, read at the scrape.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import logging
from collections.abc import AsyncIterator, Awaitable
from typing import Any, cast

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from core.metrics import JOB_FAILURES, JOB_FAILURES_KEY, OUTBOX, OUTBOX_DUE, POOL, REGISTRY, SUBSCRIBERS, WEBHOOKS
from core.runtime import AppState
from realtime.live import LiveQueue
from resolvers.outbox.depths import depths
from server.graphql_view import client_address

logger = logging.getLogger("turnero.metrics")


async def refresh_shared_gauges(state: AppState) -> None:
    """The gauges every process reports alike, read from PostgreSQL and Redis."""
    async with state.engine.connect() as conn:
        found = await depths(conn)
    for status, count in found.outbox.items():
        OUTBOX.labels(status).set(count)
    for status, count in found.webhooks.items():
        WEBHOOKS.labels(status).set(count)
    OUTBOX_DUE.set(found.outbox_due)
    # redis-py's stubs type hgetall for sync and async clients at once
    failures: dict[Any, Any] = await cast(Awaitable[dict[Any, Any]], state.redis.hgetall(JOB_FAILURES_KEY))
    for job, count in failures.items():
        JOB_FAILURES.labels(job.decode() if isinstance(job, bytes) else str(job)).set(int(count))


async def _refresh_forever(state: AppState, every: float) -> None:
    while True:
        try:
            await refresh_shared_gauges(state)
        except Exception as error:  # the database or Redis away: the gauges keep their last values
            logger.warning("metrics refresh failed: %r", error)
        await asyncio.sleep(every)


@contextlib.asynccontextmanager
async def fresh_gauges(state: AppState) -> AsyncIterator[None]:
    """While the app runs, its shared gauges are refreshed in the background (started in the lifespan)."""
    task = asyncio.create_task(_refresh_forever(state, state.settings.metrics_refresh_seconds))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _process_gauges(state: AppState, live: LiveQueue) -> None:
    SUBSCRIBERS.set(live.hub.subscriber_count())
    pool = state.engine.pool
    POOL.labels("checked_out").set(pool.checkedout())  # type: ignore[attr-defined]
    POOL.labels("idle").set(pool.checkedin())  # type: ignore[attr-defined]
    POOL.labels("overflow").set(max(pool.overflow(), 0))  # type: ignore[attr-defined]
    POOL.labels("size").set(pool.size())  # type: ignore[attr-defined]


# spelled out: ipaddress's is_private also counts documentation and other reserved ranges
_NEARBY = tuple(
    ipaddress.ip_network(net)
    for net in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7")
)


def _nearby(address: str) -> bool:
    """Loopback and private networks (RFC 1918, IPv6 unique local): where a scraper of one's own lives."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # "unknown": no peer address at all
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in net for net in _NEARBY)


def _refusal(request: Request, token: str | None) -> Response | None:
    if _nearby(client_address(request)):
        return None
    if not token:
        return Response(
            "metrics are served to loopback and private addresses; set TURNERO_METRICS_TOKEN for others\n",
            status_code=403,
        )
    offered = request.headers.get("authorization", "")
    if hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return None
    return Response(
        "metrics need Authorization: Bearer <TURNERO_METRICS_TOKEN>\n",
        status_code=401,
        headers={"WWW-Authenticate": "Bearer"},
    )


async def metrics(request: Request) -> Response:
    state: AppState = request.app.state.turnero
    refusal = _refusal(request, state.settings.metrics_token)
    if refusal is not None:
        return refusal
    _process_gauges(state, request.app.state.live_queue)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
