"""/console/analytics: the page and its modules are served, every text it shows exists in Spanish and
English, and the GraphQL documents it sends work against the API (a browser test is the web pages' own)."""

from __future__ import annotations

import re

import httpx

from core.runtime import AppState
from server.pages import WEB_DIR
from tests.support.analytics import fixed_city, page_documents
from tests.support.api import ADMIN_PASSWORD, Api

WEB = WEB_DIR / "analytics"
ASSETS = {
    "analytics.js": "text/javascript",
    "charts.js": "text/javascript",
    "i18n.js": "text/javascript",
    "queries.js": "text/javascript",
    "analytics.css": "text/css",
}


async def test_the_page_and_its_modules_are_served(client: httpx.AsyncClient) -> None:
    page = await client.get("/console/analytics")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<html lang="es">' in page.text
    assert '<script type="module" src="/web/analytics/analytics.js">' in page.text
    assert set(ASSETS) == {path.name for path in WEB.iterdir()} - {"index.html"}
    for name, kind in ASSETS.items():
        asset = await client.get(f"/web/analytics/{name}")
        assert asset.status_code == 200, name
        assert asset.headers["content-type"].startswith(kind)
    # every module a module imports is one the server serves
    for name in ASSETS:
        for imported in re.findall(r'from "\./([\w.]+)"', (WEB / name).read_text()):
            assert imported in ASSETS, (name, imported)
    for path in ("/web/analytics/index.py", "/web/analytics/..%2F..%2Fmain.py", "/web/analytics/x.js"):
        assert (await client.get(path)).status_code == 404


def test_every_text_exists_in_both_languages() -> None:
    source = (WEB / "i18n.js").read_text()
    spanish, english = source.split("\n  en: {")
    keys_es = set(re.findall(r"^    (\w+):", spanish, re.MULTILINE))
    keys_en = set(re.findall(r"^    (\w+):", english, re.MULTILINE))
    assert keys_es == keys_en
    used = set(re.findall(r'data-t="(\w+)"', (WEB / "index.html").read_text()))
    used |= set(re.findall(r"\bt\(\"(\w+)\"\)", (WEB / "analytics.js").read_text()))
    assert used <= keys_es, used - keys_es
    assert len(used) > 30


async def test_the_page_queries_work(api: Api, state: AppState, admin_token: str) -> None:
    city = await fixed_city(api, state, admin_token)
    queries = page_documents()
    assert set(queries) == {"LOGIN", "SETUP", "STATS", "STATS_HEAT", "STATS_SERVICES"}
    login = await api.run(queries["LOGIN"], {"u": "admin", "p": ADMIN_PASSWORD})
    token = login["login"]["token"]
    setup = await api.run(queries["SETUP"], token=token)
    assert setup["me"]["username"] == "admin"
    assert {o["name"] for o in setup["offices"]} == {"Office cordoba", "Office madrid"}
    week = {"from": "2026-03-09", "to": "2026-03-15", "officeIds": [city.cordoba]}
    for group_by in (["DAY"], ["WEEK"]):
        result = (await api.run(queries["STATS"], {"f": week, "g": group_by}, token))["stats"]
        assert result["__typename"] == "Stats", result
        assert result["totals"]["booked"] == 3
        assert sum(row["booked"] for row in result["rows"]) == 3
    heat = (await api.run(queries["STATS_HEAT"], {"f": week}, token))["stats"]
    assert [(r["weekday"], r["hour"], r["waitMedianMinutes"]) for r in heat["rows"] if r["hour"] == 10] == [
        (2, 10, 20.0),
        (3, 10, None),
    ]
    services = (await api.run(queries["STATS_SERVICES"], {"f": week}, token))["stats"]
    assert [(r["service"]["name"], r["booked"]) for r in services["rows"]] == [("Service dni", 3)]
    assert services["rows"][0]["noShowRate"] == 1 / 3
    refused = await api.run(queries["LOGIN"], {"u": "admin", "p": "wrong"})
    assert refused["login"]["__typename"] != "Session"
