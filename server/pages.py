"""The screens people see: plain HTML, CSS and ES modules from `web/`, each page a client of the public
GraphQL API and nothing else. Served from the checkout (there is no build step).

Every page and asset goes out with headers that shut what the pages never need: no inline or foreign
script (CSP), no framing, no referrer (the manage page's URL carries the booking's token), no sniffing.
Workers only from here too: the booking page's challenge solver (web/vendor/altcha) hashes in Web Workers,
and older browsers would fall back from a missing worker-src to default-src 'none'.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self'; media-src 'self'; manifest-src 'self'; worker-src 'self'; base-uri 'none'; "
        "form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(self), payment=()",
}

# path -> the page's HTML file under web/
PAGES = {
    "/": "booking/index.html",
    "/manage": "booking/manage.html",
    "/booking/{code}": "booking/manage.html",  # the link in mails: /booking/CODE#token=…
    "/ticket/{ticket_id}": "booking/ticket.html",
    "/feedback": "booking/feedback.html",  # the link in feedback mails: /feedback#token=…
    "/waitlist": "booking/waitlist.html",  # the link in offer mails: /waitlist#id=…&token=…
    "/draw": "booking/draw.html",  # the link kept from entering a draw: /draw#id=…&token=…
    "/join": "booking/join.html",  # joining an office's line from home (joinQueue)
    "/waits": "booking/waits.html",  # the public wait times (publicWaits)
    "/display/{office_id}": "display/index.html",
    "/console": "console/index.html",
    "/console/analytics": "analytics/index.html",
}


def _page(file: Path) -> Callable[[Request], Awaitable[Response]]:
    async def serve(request: Request) -> Response:
        # pages change with releases and some carry tokens in their URL: never from a shared cache
        return FileResponse(file, headers=SECURITY_HEADERS | {"Cache-Control": "no-store"})

    return serve


class Assets(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS | {"Cache-Control": "no-cache"})
        return response


def page_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = [
        Route(path, _page(WEB_DIR / file), methods=["GET", "HEAD"]) for path, file in PAGES.items()
    ]
    routes.append(Mount("/web", app=Assets(directory=WEB_DIR), name="web"))
    return routes
