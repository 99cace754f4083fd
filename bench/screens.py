"""From a desk's call to the waiting-room screen: how long the display page takes to show a call, and whether
the board of a large office fits one screen.

    .venv/bin/python -m bench.screens [--rounds 30] [--queues 50]

One `python main.py serve` on the bench database, one office offering `--queues` procedures (desk "1" serves
the bench's own, "Box 2" all the others, with people waiting in four of every five), and two watchers of it: the
display page in Debian's Chromium (headless, `/display/{office}?token=…`) and, as the baseline, a bare
graphql-transport-ws client subscribed to the same `board` document that the page sends. Each round: a
walk-in ticket, then `callNext` over HTTP; from the moment its answer arrives, the time until the
baseline's socket receives the board carrying the call, and until the page's newest-call box shows the
number (a MutationObserver's Date.now() in the page: the same clock). The ratio is what the page adds
(parsing, drawing) on top of what any client of the API waits. Before the rounds, the page at 1920x1080 and
1280x720: the document's height against the window's, and the queues listed, shown and paged. Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import operator
import statistics
import time
from functools import partial
from typing import Any
from urllib.parse import quote

import httpx
from playwright.async_api import ViewportSize, async_playwright
from rich.console import Console
from rich.progress import Progress

from bench.common import bench_environment, percentile, server_process
from tests.support.api import Api
from tests.support.browser import ensure_chromium
from tests.support.front_desk import FrontDesk, front_desk
from tests.support.live import socket
from tests.support.processes import main_py

ADMIN = "screens-bench-admin"
ADMIN_PASSWORD = "screens bench admin password"
SERVICE = "screens"
CALL_NEXT = "mutation($d: ID!) { callNext(deskId: $d) { __typename ... on Ticket { id number } } }"
# the page's own document (web/display/display.js)
BOARD = """subscription($o: ID!) { board(officeId: $o) { seq office { name timezone }
  recentCalls { id number previousNumber nextNumber calledAt recalls status desk { name } service { name } }
  queues(onlyWaiting: true) { waiting estimatedWaitMinutes service { id name } } } }"""
SIZES = {"1920x1080": ViewportSize(width=1920, height=1080), "1280x720": ViewportSize(width=1280, height=720)}
# what the screen shows: the document against the window, the queues listed, those on the page now, the pager
FIT = """() => {
  const rows = [...document.querySelectorAll("#queues tbody tr")];
  const shown = rows.filter((row) => !row.hidden);
  return {
    document_height_px: document.scrollingElement.scrollHeight,
    window_height_px: innerHeight,
    queues_listed: rows.length,
    queues_on_page: shown.length,
    rows_inside_window: shown.every((row) => row.getBoundingClientRect().bottom <= innerHeight),
    pager: document.querySelector("#page").textContent,
  };
}"""
WATCH = """() => {
  window.__seen = {};
  const latest = document.querySelector("#latest");
  new MutationObserver(() => {
    const number = latest.querySelector(".number");
    if (number && !(number.textContent in window.__seen)) window.__seen[number.textContent] = Date.now();
  }).observe(latest, { childList: true, subtree: true, characterData: true });
}"""
console = Console(stderr=True)


async def prepare(api: Api, queues: int) -> tuple[FrontDesk, int]:
    """The office, and how many of its queues have people waiting."""
    admin = await api.login(ADMIN, ADMIN_PASSWORD)
    others = tuple(f"q{index:02d}" for index in range(1, queues))
    desks = {"1": (SERVICE,)} | ({"Box 2": others} if others else {})
    stamp = int(time.time())
    front = await front_desk(api, admin, slug=f"screens-{stamp}", services=(SERVICE, *others), desks=desks)
    waiting = [slug for index, slug in enumerate(others) if index % 5 != 4]
    for slug in waiting:
        await front.issue(slug)
    return front, len(waiting)


def summary(milliseconds: list[float]) -> dict[str, float]:
    ordered = sorted(milliseconds)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p99_ms": round(percentile(ordered, 0.99), 1),
        "max_ms": round(ordered[-1], 1),
    }


async def measure(base: str, rounds: int, queues: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        api = Api(client)
        front, waiting = await prepare(api, queues)
        received: dict[str, float] = {}  # ticket number -> when the baseline's board first showed it called
        arrival = asyncio.Condition()

        async with socket(base, front.display) as bare, async_playwright() as playwright:
            await bare.subscribe("board", BOARD, {"o": front.office_id})

            async def read() -> None:
                while True:
                    calls = (await bare.next("board", seconds=3600))["board"]["recentCalls"]
                    if calls and calls[0]["number"] not in received:
                        at = time.time()
                        async with arrival:
                            received[calls[0]["number"]] = at
                            arrival.notify_all()

            reader = asyncio.create_task(read())
            browser = await playwright.chromium.launch(executable_path=ensure_chromium())
            page = await browser.new_page(viewport={"width": 1920, "height": 1080})
            await page.goto(f"{base}/display/{front.office_id}?token={quote(front.display)}")
            await page.wait_for_selector("#board:not([hidden])")
            fit: dict[str, Any] = {}
            for name, size in SIZES.items():
                await page.set_viewport_size(size)
                await page.wait_for_timeout(300)
                fit[name] = await page.evaluate(FIT)
                fit[name]["fits"] = fit[name]["document_height_px"] <= fit[name]["window_height_px"]
            await page.set_viewport_size(SIZES["1920x1080"])
            await page.evaluate(WATCH)

            page_ms: list[float] = []
            bare_ms: list[float] = []
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task("calls", total=rounds)
                for _ in range(rounds):
                    ticket = await front.issue(SERVICE)
                    await asyncio.sleep(0.3)  # both watchers have drawn the new ticket: the call starts clean
                    answer = (await api.run(CALL_NEXT, {"d": front.desks["1"]}, front.clerk))["callNext"]
                    answered = time.time()
                    assert answer["number"] == ticket["number"], answer
                    shown = await page.wait_for_function(
                        "number => window.__seen[number]", arg=ticket["number"], timeout=30000
                    )
                    page_ms.append(await shown.json_value() - answered * 1000)
                    number = ticket["number"]
                    async with arrival:
                        await asyncio.wait_for(arrival.wait_for(partial(operator.contains, received, number)), 30)
                    bare_ms.append((received[number] - answered) * 1000)
                    await front.move("startService", ticket["id"])
                    await front.move("completeTicket", ticket["id"])
                    progress.advance(task)
            reader.cancel()
            await browser.close()

    page_figures, bare_figures = summary(page_ms), summary(bare_ms)
    return {
        "benchmark": "call to display page",
        "rounds": rounds,
        "procedures": queues,
        "queues_with_people_waiting": waiting,
        "fit": fit,
        "latency_from": "callNext's HTTP response arriving at the client",
        "display_page": page_figures,
        "bare_board_subscriber_baseline": bare_figures,
        "page_over_baseline_p50": round(page_figures["p50_ms"] / max(bare_figures["p50_ms"], 0.1), 2),
        "call_shown_within_1s": page_figures["max_ms"] < 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--queues", type=int, default=50, help="procedures the office offers")
    args = parser.parse_args()
    env = bench_environment()
    created = main_py("create-admin", ADMIN, env=env | {"TURNERO_ADMIN_PASSWORD": ADMIN_PASSWORD})
    if created.returncode != 0:
        raise SystemExit(created.stderr)
    with server_process(env) as (base, _):
        report = asyncio.run(measure(base, args.rounds, args.queues))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
