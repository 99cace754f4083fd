"""The pages' HTTP side and what the API added for them: each page path serves its HTML with headers that
shut what the pages never need, the HTML holds nothing the CSP would block, and the public API answers the
desk's waiting line, the booking's QR code and its calendar file."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

import httpx
import pytest

from notifications.mail.qr import qr_png
from server.pages import PAGES, WEB_DIR
from tests.support.api import Api
from tests.support.booking import book, bookable_slots, citizen
from tests.support.front_desk import TICKET, add_desk, front_desk

PAGE_URLS = [
    "/",
    "/manage",
    "/booking/ABC123",
    "/ticket/1",
    "/feedback",
    "/waitlist",
    "/draw",
    "/join",
    "/waits",
    "/display/1",
    "/console",
    "/console/analytics",
]
LINE = (
    f"query($o: ID!, $d: ID, $l: Int! = 100) {{ waitingTickets(officeId: $o, deskId: $d, limit: $l) {{ {TICKET} }} }}"
)


def test_every_page_path_is_tested() -> None:
    # the list above names one URL per route: a new page is a new URL here
    assert len(PAGE_URLS) == len(PAGES)


@pytest.mark.parametrize("url", PAGE_URLS)
async def test_pages_come_with_security_headers(client: httpx.AsyncClient, url: str) -> None:
    response = await client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"


async def test_assets_are_served_with_the_same_headers(client: httpx.AsyncClient) -> None:
    script = await client.get("/web/shared/live.js")
    assert script.status_code == 200
    assert script.headers["content-type"].split(";")[0] in {"text/javascript", "application/javascript"}
    assert "default-src 'none'" in script.headers["content-security-policy"]
    assert (await client.get("/web/shared/nothing-here.js")).status_code == 404
    assert (await client.get("/web/../server/pages.py")).status_code == 404


async def test_the_challenge_widget_is_served_from_here_as_vendored(client: httpx.AsyncClient) -> None:
    vendored = WEB_DIR / "vendor" / "altcha"
    # the README's table of hashes: the files are the npm package's, unchanged
    listed = dict(re.findall(r"\| `([\w.]+)` \| `([0-9a-f]{64})` \|", (vendored / "README.md").read_text()))
    assert set(listed) == {"altcha.js", "worker.js", "altcha.css", "LICENSE.txt"}
    for name, digest in listed.items():
        assert hashlib.sha256((vendored / name).read_bytes()).hexdigest() == digest, name
    for name in ("altcha.js", "worker.js"):
        response = await client.get(f"/web/vendor/altcha/{name}")
        assert response.status_code == 200
        assert response.content == (vendored / name).read_bytes()
        # the solver's Web Workers come from here, as scripts do
        assert "worker-src 'self'" in response.headers["content-security-policy"]


class _Markup(HTMLParser):
    """What in a page the CSP would block: inline scripts, style attributes, event-handler attributes,
    and anything loaded from another origin."""

    def __init__(self) -> None:
        super().__init__()
        self.blocked: list[str] = []
        self.modules: list[str] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        if tag == "script":
            if not values.get("src"):
                self.blocked.append("inline script")
            elif values.get("type") == "module":
                self.modules.append(values["src"] or "")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.blocked.append(f"<{tag} {name}=…>")
            if name in {"src", "href"} and value and re.match(r"^(https?:)?//", value):
                self.blocked.append(f"<{tag} {name}={value}>")


@pytest.mark.parametrize("page", sorted(set(PAGES.values())))
def test_the_html_holds_nothing_the_csp_would_block(page: str) -> None:
    markup = _Markup()
    markup.feed((WEB_DIR / page).read_text())
    assert markup.blocked == []
    assert markup.lang == "es"
    assert len(markup.modules) == 1
    assert (WEB_DIR / markup.modules[0].removeprefix("/web/")).is_file()


async def test_the_waiting_line_is_callnext_order_and_narrows_to_a_desk(api: Api, admin_token: str) -> None:
    front = await front_desk(api, admin_token, services=("dni", "licencia"), desks={"1": ("dni",), "2": ("licencia",)})
    first = await front.issue("dni")
    licence = await front.issue("licencia")
    second = await front.issue("dni")
    urgent = await front.issue("dni", priority="PRIORITY")  # its head start puts it first
    everyone = (await api.run(LINE, {"o": front.office_id}, front.clerk))["waitingTickets"]
    assert [t["number"] for t in everyone] == [urgent["number"], first["number"], licence["number"], second["number"]]
    desk_one = (await api.run(LINE, {"o": front.office_id, "d": front.desks["1"]}, front.clerk))["waitingTickets"]
    assert [t["number"] for t in desk_one] == [urgent["number"], first["number"], second["number"]]
    assert [t["position"] for t in desk_one] == [1, 2, 3]
    # the first of the desk's line is the one callNext takes
    assert (await front.call("1"))["number"] == urgent["number"]
    limited = (await api.run(LINE, {"o": front.office_id, "l": 1}, front.clerk))["waitingTickets"]
    assert [t["number"] for t in limited] == [first["number"]]


async def test_the_waiting_line_is_for_the_office_desk_staff_only(api: Api, admin_token: str) -> None:
    front = await front_desk(api, admin_token)
    other = await front_desk(api, admin_token, slug="norte")
    await front.issue()
    foreign_desk = await add_desk(api, admin_token, other.office_id, "9", list(other.services.values()))
    for token in ("", front.display, front.kiosk, other.clerk):
        response = await api.post(LINE, {"o": front.office_id}, token or None)
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_ALLOWED", token
    wrong_desk = await api.post(LINE, {"o": front.office_id, "d": foreign_desk}, front.clerk)
    assert wrong_desk.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    too_many = await api.post(LINE, {"o": front.office_id, "l": 501}, front.clerk)
    assert too_many.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST", "field": "limit"}


async def test_a_booking_carries_its_qr_code_and_calendar_file(api: Api, admin_token: str) -> None:
    slots = await bookable_slots(api, admin_token)
    confirmation = await book(api, slots[0], citizen=citizen(locale="en"))
    booking, token = confirmation["booking"], confirmation["manageToken"]
    query = """query($c: String!, $t: String!, $l: String) { booking(code: $c, manageToken: $t) {
        qrCode calendarFile(language: $l) } }"""
    found = (await api.run(query, {"c": booking["code"], "t": token}))["booking"]
    prefix = "data:image/png;base64,"
    assert found["qrCode"].startswith(prefix)
    assert base64.b64decode(found["qrCode"].removeprefix(prefix)) == qr_png(booking["code"])
    english = found["calendarFile"]
    assert "BEGIN:VCALENDAR" in english
    assert f"UID:booking-{booking['id']}@" in english
    assert "DTSTART;TZID=America/Argentina/Cordoba:" in english
    spanish = (await api.run(query, {"c": booking["code"], "t": token, "l": "es"}))["booking"]["calendarFile"]
    # the description is written in the language asked for (default: the booking's)
    assert f"booking {booking['code']}" in english.replace("\r\n ", "")
    assert f"turno {booking['code']}" in spanish.replace("\r\n ", "")
