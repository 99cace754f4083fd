"""Counts the job runs that raised, per job, in Redis: /metrics reports them from any API process."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any

from arq.typing import WorkerCoroutine

from core.metrics import JOB_FAILURES_KEY


def counted(job: Callable[..., Coroutine[Any, Any, Any]]) -> WorkerCoroutine:
    @functools.wraps(job)
    async def run(ctx: dict[Any, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return await job(ctx, *args, **kwargs)
        except Exception:
            redis: Any = ctx.get("redis")
            if redis is not None:
                await redis.hincrby(JOB_FAILURES_KEY, job.__name__, 1)
            raise

    return run
