"""What every job gets: the process's connections, opened once at worker start-up."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any, cast

from core.runtime import AppState, open_state
from core.settings import Settings

JobContext = dict[str, Any]


async def startup(ctx: JobContext) -> None:
    stack = AsyncExitStack()
    settings = cast(Settings, ctx["turnero_settings"])
    ctx["turnero_state"] = await stack.enter_async_context(open_state(settings, application_name="turnero-worker"))
    ctx["turnero_stack"] = stack


async def shutdown(ctx: JobContext) -> None:
    await cast(AsyncExitStack, ctx["turnero_stack"]).aclose()


def state(ctx: JobContext) -> AppState:
    return cast(AppState, ctx["turnero_state"])
