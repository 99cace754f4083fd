"""Keeps the arq worker running through Redis restarts.

arq's Worker ends when its Redis connection breaks (a poll raises ConnectionError), and its own retries cover
only the first connection. So `main.py worker` runs arq under this loop: the process's connections
(PostgreSQL engine, Redis client, queue hub) are opened once and outlive any Redis outage; when a Worker ends
on a Redis or socket error, the jobs it had started are let finish (they work on PostgreSQL), and a new
Worker connects after 1 s, 2 s, 4 s … up to TURNERO_WORKER_RECONNECT_MAX_SECONDS. Its cron jobs with
run_at_startup (outbox and webhook delivery, reminders) run as soon as it is back, so mail and webhooks
that queued up meanwhile go out at once. SIGINT and SIGTERM stop it for good, as they stop arq.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from typing import Any

from arq.worker import Worker
from redis.exceptions import RedisError

logger = logging.getLogger("turnero.worker")

FIRST_RETRY_SECONDS = 1.0
# a Worker that ran this long was healthy: the next outage starts again from the first delay
HEALTHY_SECONDS = 60.0
# how long jobs under way when Redis went are given to finish before they are cancelled
FINISH_SECONDS = 30.0


async def supervise(make_worker: Callable[[], Worker], *, max_delay: float) -> None:
    """Runs Workers from `make_worker` one after the other until SIGINT or SIGTERM."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    current: Worker | None = None

    def stop(signum: signal.Signals) -> None:
        stopping.set()
        if current is not None:
            current.handle_sig(signum)  # cancels its jobs and its main task, as arq's own handler does

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop, signum)
    delay = FIRST_RETRY_SECONDS
    try:
        while not stopping.is_set():
            current = make_worker()
            started = loop.time()
            lost: Exception | None = None
            try:
                await current.async_run()
            except asyncio.CancelledError:
                if not stopping.is_set():
                    raise
            except (RedisError, OSError) as error:
                lost = error
            finally:
                await _retire(current, cancel=stopping.is_set())
            if stopping.is_set():
                break
            if loop.time() - started > HEALTHY_SECONDS:
                delay = FIRST_RETRY_SECONDS
            logger.warning("lost Redis (%r); reconnecting in %.0f s", lost, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), delay)
            delay = min(delay * 2, max_delay)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def _retire(worker: Worker, *, cancel: bool) -> None:
    """What arq's close() does, minus what needs Redis alive: the worker's jobs end and its pool is closed."""
    running: list[asyncio.Task[Any]] = [task for task in worker.tasks.values() if not task.done()]
    if running and not cancel:
        await asyncio.wait(running, timeout=FINISH_SECONDS)
    for task in running:
        task.cancel()
    # a job that could not record its result in Redis, or was cancelled: its own work is settled in PostgreSQL
    await asyncio.gather(*running, return_exceptions=True)
    with contextlib.suppress(Exception):
        await worker.pool.delete(worker.health_check_key)
    with contextlib.suppress(Exception):
        await worker.pool.close(close_connection_pool=True)
