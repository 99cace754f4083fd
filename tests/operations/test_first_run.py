"""`python main.py demo`, as a newcomer runs it: a summary that fits a screen on the real port, pages that
answer, a worker that writes the confirmation mail, a dashboard with history, a busy port in one line, and
Ctrl-C stopping everything the demo started (here: its embedded Redis too)."""

from __future__ import annotations

import email
import email.policy
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from core.embedded import embedded_redis_running
from core.runtime import AppState
from core.settings import Settings
from demo.city_data import OFFICES
from tests.support.api import Api
from tests.support.booking import BOOK, citizen
from tests.support.processes import ROOT, free_port, main_py, suite_environment

pytestmark = pytest.mark.slow

LAST_SUMMARY_LINE = "Ctrl-C stops the demo."
START_SECONDS = 900  # the city is 200,000 slots: minutes on a busy test machine


class Lines:
    """A process's output read line by line on a thread, so the test can wait for a line with a timeout."""

    def __init__(self, stream: object) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def until(self, wanted: str, timeout: float) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {wanted!r} within {timeout} s:\n" + "\n".join(self.seen)) from None
            if line is None:
                raise AssertionError(f"the output ended before {wanted!r}:\n" + "\n".join(self.seen))
            self.seen.append(line)
            if line == wanted:
                return self.seen


def children_of(pid: int) -> set[int]:
    """Every live descendant of `pid`, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def addresses(summary: list[str]) -> dict[str, str]:
    return {m.group(1): m.group(2) for line in summary if (m := re.match(r"^  (\w[\w ]*?)\s+(http://\S+)$", line))}


def mail_with(directory: Path, code: str, timeout: float) -> EmailMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(directory.glob("*.eml")) if directory.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            if code in str(message["Subject"]):
                return message
        time.sleep(0.5)
    raise AssertionError(f"no mail about {code} in {directory} within {timeout} s")


def start_demo(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "main.py", "demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def test_demo_serves_the_city_with_its_worker_and_stops_what_it_started(
    settings: Settings, state: AppState, tmp_path: Path
) -> None:
    port = free_port()
    data_dir = tmp_path / "var"
    env = suite_environment(
        settings,
        TURNERO_DATA_DIR=str(data_dir),
        REDIS_URL=None,  # the demo starts an embedded Redis in its data directory, and must stop it
        TURNERO_DELIVERY_EVERY_SECONDS="1",
        TURNERO_LOG_FORMAT="text",
        TURNERO_PUBLIC_URL=None,
        COLUMNS="200",
    )
    env.pop("REDIS_URL", None)
    env.pop("TURNERO_PUBLIC_URL", None)
    demo = start_demo(env, port)
    try:
        reader = Lines(demo.stdout)
        output = list(reader.until(LAST_SUMMARY_LINE, START_SECONDS))
        start = max(i for i, line in enumerate(output) if line.startswith("Turnero's demo city is running"))
        summary = output[start:]

        # at most 25 lines, on the real port, naming the four pages, one account per role, tokens and mail
        assert len(summary) <= 25, "\n".join(summary)
        assert len(output) <= 40, "\n".join(output)  # progress bars and two counts before it, nothing else
        pages = addresses(summary)
        base = f"http://127.0.0.1:{port}"
        assert pages["citizens"] == f"{base}/"
        assert pages["console"] == f"{base}/console"
        assert pages["dashboard"] == f"{base}/console/analytics"
        assert pages["TV screen"].startswith(f"{base}/display/")
        assert ":8000" not in "\n".join(summary)
        accounts = {
            m.group(3): (m.group(1), m.group(2))
            for line in summary
            if (m := re.match(r"^  (\S+)\s+(\S+)\s+(ADMIN|MANAGER|CLERK|OPERATOR)\s", line))
        }
        assert set(accounts) == {"ADMIN", "MANAGER", "CLERK", "OPERATOR"}, summary
        tokens_file = data_dir / "demo-tokens.txt"
        assert f"tokens: {tokens_file}" in "\n".join(summary)
        assert f"written to {data_dir / 'mail'}/" in "\n".join(summary)
        tokens = tokens_file.read_text()
        assert len(re.findall(r"^    KIOSK\s+td_\S+$", tokens, re.MULTILINE)) == len(OFFICES)
        assert pages["TV screen"] in tokens

        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            for url in pages.values():
                assert (await http.get(url)).status_code == 200, url
            api = Api(http)
            admin = await api.login(*accounts["ADMIN"])
            tv_token = pages["TV screen"].rsplit("token=", 1)[1]
            assert (await api.post("{ offices { id } }", token=tv_token)).status_code == 200

            # the dashboard has the simulated history of the staffed offices
            today = date.today()
            stats = await api.run(
                "query($f: StatsFilterInput!) { stats(filter: $f) { __typename ... on Stats { totals { served } } } }",
                {"f": {"from": (today - timedelta(days=60)).isoformat(), "to": today.isoformat()}},
                admin,
            )
            assert stats["stats"]["totals"]["served"] > 100, stats

            # a citizen books; the worker writes the confirmation to the mail directory
            services = await api.run("{ services { id confirmationRequired } }")
            service = next(s["id"] for s in services["services"] if not s["confirmationRequired"])
            slots = await api.run("query($s: ID!) { earliestSlots(serviceId: $s, limit: 1) { id } }", {"s": service})
            booked = await api.run(BOOK, {"i": {"slotId": slots["earliestSlots"][0]["id"], "citizen": citizen()}})
            assert booked["book"]["__typename"] == "BookingConfirmation", booked
            code = booked["book"]["booking"]["code"]
        message = mail_with(data_dir / "mail", code, timeout=60)
        assert not message.defects
        assert all(not part.defects for part in message.walk())
        assert base in str(message.get_body(preferencelist=("plain",)))  # its links point at the real port

        # Ctrl-C: the web server, the worker and the embedded Redis the demo started are gone, said in one line
        started = children_of(demo.pid)
        assert len(started) >= 2, started  # serve and worker (and what they start)
        assert embedded_redis_running(data_dir)
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=60) == 0
        stopped = "demo stopped: web server, worker, embedded Redis."
        assert reader.until(stopped, 10)[len(output) :] == [stopped]
        assert not [pid for pid in started if alive(pid)]
        assert not embedded_redis_running(data_dir)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        if embedded_redis_running(data_dir):
            from core.embedded import stop_embedded_redis

            stop_embedded_redis(data_dir)


async def test_demo_on_a_busy_port_says_so_in_one_line_before_seeding(settings: Settings, state: AppState) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        started = time.monotonic()
        result = main_py("demo", "--port", str(port), env=suite_environment(settings), timeout=60)
        took = time.monotonic() - started

    lines = (result.stdout + result.stderr).strip().splitlines()
    assert result.returncode != 0
    assert len(lines) == 1, lines
    assert f"port {port}" in lines[0]
    assert "--port" in lines[0]
    assert took < 15  # before any seeding
    async with state.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM offices"))).scalar_one() == 0
