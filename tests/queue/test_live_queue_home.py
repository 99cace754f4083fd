"""Only `serve` opens the live queue: the worker and the command-line tools start no Redis pub/sub and no
poller, and do not even load the code that would."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from contextlib import AbstractAsyncContextManager

from core.runtime import open_state
from core.settings import Settings
from jobs.context import shutdown, startup
from realtime.live import open_live_queue
from tests.support.processes import ROOT

# every entry point of the worker and the CLI (main.py imports each command's module only when it runs)
NOT_SERVE = (
    "main",
    "core.runtime",
    "jobs.worker",
    "jobs.context",
    "jobs.draws",
    "demo.seed",
    "demo.history",
    "demo.admin",
)


def test_the_worker_and_the_cli_load_no_live_queue_code() -> None:
    script = f"""
import importlib, json, sys
for name in {NOT_SERVE!r}:
    importlib.import_module(name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("realtime", "broadcaster", "server", "schema"))))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []


async def new_tasks_while_open(opened: AbstractAsyncContextManager[object]) -> set[asyncio.Task[object]]:
    before = asyncio.all_tasks()
    async with opened:
        await asyncio.sleep(0.1)
        return asyncio.all_tasks() - before


async def test_what_every_process_opens_starts_no_pubsub_and_no_poller(settings: Settings) -> None:
    assert await new_tasks_while_open(open_state(settings, application_name="turnero-cli")) == set()

    before = asyncio.all_tasks()
    ctx: dict[str, object] = {"turnero_settings": settings}
    await startup(ctx)  # the worker's
    try:
        await asyncio.sleep(0.1)
        assert asyncio.all_tasks() - before == set()
    finally:
        await shutdown(ctx)


async def test_serve_s_live_queue_does_start_them(settings: Settings) -> None:
    """The check above sees a poller and a pub/sub listener when there are some."""
    async with open_state(settings, application_name="turnero-tests") as state:
        started = await new_tasks_while_open(open_live_queue(state))
    assert len(started) >= 2  # the hub's safety poll and broadcaster's listener
