from __future__ import annotations

from dataclasses import dataclass, field
from uuid import uuid4

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from core.logs import current_request_id
from core.runtime import AppState
from dataloaders import Loaders
from realtime.live import LiveQueue
from resolvers.accounts.viewer import Viewer


@dataclass
class Context:
    state: AppState
    # the live queue: only `serve` has one (realtime/live.py)
    live: LiveQueue
    viewer: Viewer
    loaders: Loaders
    request: Request | WebSocket | None = None
    # the request's id from server/observability.py (X-Request-ID), so logs and masked errors agree
    request_id: str = field(default_factory=lambda: current_request_id() or uuid4().hex[:16])
    # graphql-transport-ws: the connection_init payload, where websocket clients put their token
    connection_params: dict[str, object] | None = None
    # the caller's address as uvicorn derived it (X-Forwarded-For only from FORWARDED_ALLOW_IPS proxies):
    # what rate limits and per-address counts key anonymous callers by
    client_address: str = "unknown"
    # the operation's static cost and what the caller's budget has left, answered in extensions.cost
    cost_report: dict[str, int] = field(default_factory=dict)
    # HTTP only: where status and headers of the answer can be set before it is sent (429, Retry-After)
    response: Response | None = None
    # the language UserError messages are written in (core/messages.py): resolved once per request from
    # Accept-Language (websockets: the connection_init payload's, else the upgrade request's)
    language: str = "es"
    # the languages the caller reads, best first (Accept-Language's tags, websockets as `language`): which
    # translation of the catalogue it is served (resolvers/catalogue/translations.chosen); none: the default's
    languages: tuple[str, ...] = ()


Info = strawberry.Info[Context, None]
