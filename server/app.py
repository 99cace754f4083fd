"""The Starlette application: GraphQL, health endpoints, and one lifespan that owns every connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from core.health import check_database, check_redis
from core.logs import configure_logging
from core.runtime import open_state, resolve_servers
from core.settings import Settings, load_settings
from realtime.library_internals import KeepServerSend
from realtime.live import open_live_queue
from schema.root import schema
from server import collector
from server.analytics_export import export_routes
from server.graphql_view import TurneroGraphQL
from server.limits_http import RequestLimits, TextLimits
from server.metrics import fresh_gauges, metrics
from server.observability import RequestContext
from server.pages import page_routes


async def live(request: Request) -> JSONResponse:
    return JSONResponse({"status": "live"})


async def ready(request: Request) -> JSONResponse:
    state = request.app.state.turnero
    problems = {
        name: problem
        for name, problem in (
            ("database", await check_database(state.engine)),
            ("redis", await check_redis(state.redis)),
        )
        if problem is not None
    }
    if problems:
        return JSONResponse({"status": "unavailable", "problems": problems}, status_code=503)
    return JSONResponse({"status": "ready"})


def create_app(settings: Settings | None = None) -> Starlette:
    settings = resolve_servers(settings or load_settings())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        configure_logging(settings.log_format)  # here, so every uvicorn worker process logs alike
        async with open_state(settings) as state, open_live_queue(state) as live, fresh_gauges(state):
            app.state.turnero = state
            app.state.live_queue = live
            if settings.gc_tuning:
                collector.tune()
            yield

    # GraphiQL (and introspection, schema/introspection.py) only where TURNERO_GRAPHIQL=1: the demo, development
    graphql = TurneroGraphQL(schema, graphql_ide="graphiql" if settings.graphiql else None)
    graphql.text_limits = TextLimits.of(settings)
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/health/live", live),
            Route("/health/ready", ready),
            *page_routes(),
            Route("/metrics", metrics),
            *export_routes(),
        ],
        middleware=[
            # first: shared feeds write to a websocket's own transport (realtime/transport_ws.py)
            Middleware(KeepServerSend),
            Middleware(RequestContext),
            Middleware(
                RequestLimits,
                max_body_bytes=settings.max_body_bytes,
                operation_timeout_seconds=settings.operation_timeout_seconds,
            ),
        ],
        lifespan=lifespan,
    )
