"""`python main.py demo` (what `python3 dev.py demo` runs): the demo city with its history, served together
with the worker, and a summary that fits one screen.

In order: the port is checked first (a busy one is one line and exit 1, before any seeding); the embedded
servers start if DATABASE_URL / REDIS_URL are unset; the city is loaded (idempotent) and a few offices get 60
days of simulated history (once), so the dashboard is never empty; `serve` and `worker` start as child
processes in sessions of their own (the terminal's Ctrl-C reaches only this process, which stops them in
order); the summary names the pages on the real port, one account per role, and where the tokens, the mail and
the logs are. Ctrl-C (or SIGTERM) stops the children, and the embedded servers if this run started them.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

import httpx
from rich.console import Console

from core.db import migrate
from core.embedded import (
    embedded_postgres_running,
    embedded_redis_running,
    stop_embedded_postgres,
    stop_embedded_redis,
)
from core.runtime import resolve_servers
from core.settings import Settings, load_settings
from demo.city_data import OFFICES
from demo.history import seed_history
from demo.seed import credentials_path, demo_accounts, display_url, seed_demo, write_credentials
from models.accounts import Role

HISTORY_DAYS = 60
# the offices the demo's staff work at and the first bottleneck (every fourth office): seconds, not a minute
HISTORY_OFFICES = 4
READY_SECONDS = 90
STOP_SECONDS = 20
MAIN_PY = Path(__file__).resolve().parents[1] / "main.py"
ROLES = (Role.ADMIN, Role.MANAGER, Role.CLERK, Role.OPERATOR)


class Stop(Exception):
    """Ctrl-C or SIGTERM: stop what the demo started."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise Stop


def port_problem(host: str, port: int) -> str | None:
    """Why `serve` could not listen on host:port, else None. SO_REUSEADDR as uvicorn binds, so a port that
    only has connections in TIME_WAIT counts as free."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        return f"--host {host} is not an address of this machine ({error.strerror})"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return f"port {port} is already in use on {host}; start the demo on another one with --port {port + 1}"
            return f"cannot listen on {host}:{port} ({error.strerror}); choose another --host or --port"
    return None


def _browser_host(host: str) -> str:
    """Where a browser on this machine reaches a server listening on `host`."""
    return {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host, f"[{host}]" if ":" in host else host)


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Started:
    """Everything this run started, so that stopping undoes exactly that."""

    children: list[Child] = field(default_factory=list)
    postgres: bool = False
    redis: bool = False

    def stop(self, data_dir: Path) -> list[str]:
        """Stops the children (the web server first, then the worker), then the embedded servers it started;
        what was stopped, in words."""
        for child in self.children:
            _signal_group(child.process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for child in self.children:
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(child.process, signal.SIGKILL)
                child.process.wait()
        stopped = [child.name for child in self.children]
        if self.postgres and stop_embedded_postgres(data_dir):
            stopped.append("embedded PostgreSQL")
        if self.redis and stop_embedded_redis(data_dir):
            stopped.append("embedded Redis")
        self.children.clear()
        self.postgres = self.redis = False
        return stopped


def _signal_group(process: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    """The child and what it started (uvicorn's workers): each child leads a session of its own."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            pass


def _spawn(name: str, args: list[str], log: Path) -> Child:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(MAIN_PY), *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the terminal's Ctrl-C is for the demo, which stops its children in order
        )
    return Child(name, process, log)


def _dead(started: Started) -> Child | None:
    return next((child for child in started.children if child.process.poll() is not None), None)


def _wait_ready(url: str, started: Started) -> Child | None:
    """Polls until `serve` answers ready; the child that died meanwhile, if one did."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if (dead := _dead(started)) is not None:
            return dead
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return None
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"the web server was not ready within {READY_SECONDS} s")


def summary(settings: Settings, base: str, offices: dict[str, int], tokens: Path) -> list[str]:
    """The lines that end the start-up: at most 25, the last thing on the screen."""
    accounts = demo_accounts(settings.secret_key)
    by_role = [next(a for a in accounts if a.role is role) for role in ROLES]
    office_names = {office.slug: office.name for office in OFFICES} | {None: "every office"}
    width = max(len(a.username) for a in by_role)
    mail = "sent through SMTP_URL" if settings.smtp_url else f"written to {settings.data_dir / 'mail'}/ (.eml files)"
    logs = settings.data_dir / "logs"
    return [
        "",
        "Turnero's demo city is running. Open in a browser:",
        f"  citizens   {base}/",
        f"  console    {base}/console",
        f"  TV screen  {display_url(base, settings.secret_key, offices, OFFICES[0].slug)}",
        f"  dashboard  {base}/console/analytics",
        f"  GraphiQL   {base}/graphql",
        "Sign in to the console as (username, password, role, office):",
        *(f"  {a.username:<{width}}  {a.password}  {a.role.value:<8} {office_names[a.office_slug]}" for a in by_role),
        f"Every account, and each office's kiosk and TV tokens: {tokens}",
        f"Mail (confirmations, reminders): {mail}",
        f"Logs of the web server and the worker: {logs}/",
        "Ctrl-C stops the demo.",
    ]


def run_demo(host: str, port: int, workers: int) -> int:
    console = Console()
    say = console.print
    # the start-up shows progress bars and the summary, not each migration or readiness poll
    for chatty in ("alembic", "httpx"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    problem = port_problem(host, port)
    if problem is not None:
        print(f"turnero demo: {problem}", file=sys.stderr)
        return 1
    base = f"http://{_browser_host(host)}:{port}"
    # the demo is for exploring: GraphiQL and introspection on (TURNERO_GRAPHIQL=0 turns them off again); the
    # links in its mails point at the port it really serves
    os.environ.setdefault("TURNERO_GRAPHIQL", "1")
    os.environ.setdefault("TURNERO_PUBLIC_URL", base)
    settings = load_settings()
    started = Started(
        postgres=settings.database_url is None and not embedded_postgres_running(settings.data_dir),
        redis=settings.redis_url is None and not embedded_redis_running(settings.data_dir),
    )
    previous = {signum: signal.signal(signum, _stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        with console.status("starting the database and Redis …"):
            settings = resolve_servers(settings)  # also puts their URLs in the environment the children inherit
            assert settings.migration_url
            migrate(settings.migration_url)
        offices = asyncio.run(seed_demo(settings, console))
        slugs = [office.slug for office in OFFICES[:HISTORY_OFFICES]]
        asyncio.run(seed_history(settings, HISTORY_DAYS, slugs, console))
        tokens = write_credentials(credentials_path(settings), settings.secret_key, offices, base)
        logs = settings.data_dir / "logs"
        with console.status("starting the web server and the worker …"):
            serve = ["serve", "--host", host, "--port", str(port), "--workers", str(workers)]
            started.children.append(_spawn("web server", serve, logs / "demo-serve.log"))
            started.children.append(_spawn("worker", ["worker"], logs / "demo-worker.log"))
            dead = _wait_ready(f"{base}/health/ready", started)
        if dead is None:
            for line in summary(settings, base, offices, tokens):
                say(line, soft_wrap=True, markup=False, highlight=False)  # never wrapped: people copy these
            console.file.flush()
            while (dead := _dead(started)) is None:
                time.sleep(0.5)
        _unexpected(dead, started.stop(settings.data_dir))
        return 1
    except Stop:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the stopping short
        stopped = started.stop(settings.data_dir)
        say(f"demo stopped: {', '.join(stopped) or 'nothing was running'}.", markup=False, highlight=False)
        return 0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        started.stop(settings.data_dir)  # after a failure: nothing the demo started keeps running


def _unexpected(dead: Child, stopped: list[str]) -> None:
    stream: IO[str] = sys.stderr
    code = dead.process.returncode
    also = f"; stopped: {', '.join(n for n in stopped if n != dead.name)}" if len(stopped) > 1 else ""
    print(f"turnero demo: the {dead.name} stopped (exit {code}); see {dead.log}{also}", file=stream)
