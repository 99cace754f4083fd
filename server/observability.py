"""Every HTTP request and websocket gets a request id (X-Request-ID in and out), a latency and status in
the metrics, and one access line in the JSON log (route, status, time; never a query string or a client
address)."""

from __future__ import annotations

import logging
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.logs import new_request_id, request_id_var
from core.metrics import HTTP_REQUESTS, HTTP_SECONDS

access = logging.getLogger("turnero.access")

# metrics label by route, never by raw path: a path may carry an id, and labels must stay few
_ROUTES = (
    "/graphql",
    "/metrics",
    "/health/live",
    "/health/ready",
    "/analytics/",
    "/console/analytics",
    "/console",
    "/display/",
    "/ticket/",
    "/manage",
    "/booking/",
    "/feedback",
    "/waitlist",
    "/draw",
    "/web/",
)
_QUIET = ("/metrics", "/health/live", "/health/ready")


def route_of(path: str) -> str:
    for route in _ROUTES:
        if path == route or (route.endswith("/") and path.startswith(route)) or path.startswith(route + "/"):
            return route.rstrip("/") + ("/*" if route.endswith("/") or path != route else "")
    return "other"


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = new_request_id(Headers(scope=scope).get("x-request-id"))
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500 if scope["type"] == "http" else 101

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["type"] == "http":
                seconds = time.perf_counter() - started
                route = route_of(scope["path"])
                method = scope["method"]
                HTTP_REQUESTS.labels(method, route, str(status)).inc()
                HTTP_SECONDS.labels(method, route).observe(seconds)
                if scope["path"] not in _QUIET:
                    access.info(
                        "%s %s %d",
                        method,
                        route,
                        status,
                        extra={
                            "method": method,
                            "route": route,
                            "status": status,
                            "duration_ms": round(seconds * 1000, 1),
                        },
                    )
            request_id_var.reset(token)
