"""GET /console/analytics: the managers' dashboard, plain HTML, CSS and ES modules from web/analytics/.

Only the files listed here are served (no path from the request reaches the file system). The page
signs in with the public `login` mutation when sessionStorage has no `turnero.staffToken`.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

WEB = Path(__file__).resolve().parent.parent / "web" / "analytics"
ASSETS = {
    "analytics.js": "text/javascript",
    "charts.js": "text/javascript",
    "i18n.js": "text/javascript",
    "queries.js": "text/javascript",
    "analytics.css": "text/css",
}
# the page runs only its own scripts and talks only to this server
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' blob: data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {"Content-Security-Policy": POLICY, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}


async def page(request: Request) -> Response:
    return FileResponse(WEB / "index.html", media_type="text/html; charset=utf-8", headers=HEADERS)


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in ASSETS:
        return Response("not found\n", status_code=404, media_type="text/plain")
    return FileResponse(WEB / name, media_type=f"{ASSETS[name]}; charset=utf-8", headers=HEADERS)


def analytics_page_routes() -> list[BaseRoute]:
    return [Route("/console/analytics", page), Route("/console/analytics/{name}", asset)]
