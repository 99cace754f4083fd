"""GET /metrics: the Prometheus text format, with the shared gauges read fresh from PostgreSQL and Redis."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable
from typing import Any, cast

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import Response

from core.metrics import JOB_FAILURES, JOB_FAILURES_KEY, OUTBOX, OUTBOX_DUE, POOL, REGISTRY, SUBSCRIBERS, WEBHOOKS
from core.runtime import AppState

_DEPTHS = text("""
    SELECT 'outbox' AS source, status, count(*) AS n FROM outbox GROUP BY status
    UNION ALL
    SELECT 'webhooks', status, count(*) FROM webhook_deliveries GROUP BY status
    UNION ALL
    SELECT 'due', 'PENDING', count(*) FROM outbox WHERE status = 'PENDING' AND next_attempt_at <= now()
""")


async def _collect(state: AppState) -> None:
    async with state.engine.connect() as conn:
        rows = (await conn.execute(_DEPTHS)).mappings().all()
    for status in ("PENDING", "SENT", "FAILED"):
        OUTBOX.labels(status).set(0)
        WEBHOOKS.labels(status).set(0)
    for row in rows:
        if row["source"] == "outbox":
            OUTBOX.labels(row["status"]).set(row["n"])
        elif row["source"] == "webhooks":
            WEBHOOKS.labels(row["status"]).set(row["n"])
        else:
            OUTBOX_DUE.set(row["n"])
    # redis-py's stubs type hgetall for sync and async clients at once
    failures: dict[Any, Any] = await cast(Awaitable[dict[Any, Any]], state.redis.hgetall(JOB_FAILURES_KEY))
    for job, count in failures.items():
        JOB_FAILURES.labels(job.decode() if isinstance(job, bytes) else str(job)).set(int(count))
    SUBSCRIBERS.set(state.hub.subscriber_count())
    pool = state.engine.pool
    POOL.labels("checked_out").set(pool.checkedout())  # type: ignore[attr-defined]
    POOL.labels("idle").set(pool.checkedin())  # type: ignore[attr-defined]
    POOL.labels("overflow").set(max(pool.overflow(), 0))  # type: ignore[attr-defined]
    POOL.labels("size").set(pool.size())  # type: ignore[attr-defined]


async def metrics(request: Request) -> Response:
    state: AppState = request.app.state.turnero
    expected = state.settings.metrics_token
    if expected:
        offered = request.headers.get("authorization", "")
        if not hmac.compare_digest(offered.encode(), f"Bearer {expected}".encode()):
            return Response("metrics need Authorization: Bearer <TURNERO_METRICS_TOKEN>\n", status_code=401)
    await _collect(state)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
