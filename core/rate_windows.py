"""Counting windows for rate limits: in Redis with the `limits` package, so every process shares them, and
in the process's own memory while Redis cannot be reached.

Two of the package's strategies, each where it fits:
- EXACT (its moving window) for the small per-address limits: "5 bookings per 10 minutes" must mean at
  most 5 in ANY 10 minutes, not per clock window (a fixed window lets 10 through around a boundary). It
  keeps one timestamp per hit, at most `limit` of them, which is cheap for limits in the tens.
- SMOOTH (its sliding window counter) for the cost buckets: two counters per caller whatever the cost, so
  a charge of 5,000 points is one INCRBY, where a moving window would push 5,000 list entries. The previous
  window's count decays linearly once the window has rolled over: over a steady load it behaves as a bucket
  refilled at limit/window per second, but a bucket spent early in a fresh window stays spent until that window
  rolls over (up to one window: a minute for the cost buckets).

Every charge of a request, with the figures the answer reports (what is left, when to retry), goes to Redis
in one pipeline: one round trip. The package's own calls would take two per charge (hit, then stats), so
the pipeline runs the package's registered Lua scripts on the package's key layout itself;
tests/protections/test_rate_limits.py checks that the package's public API reads the same windows back.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from limits import RateLimitItem
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.storage.redis.redispy import RedispyBridge
from limits.aio.strategies import MovingWindowRateLimiter, RateLimiter, SlidingWindowCounterRateLimiter
from redis.asyncio import Redis
from redis.exceptions import NoScriptError

KEY_PREFIX = "turnero:rate"


class Window(enum.Enum):
    EXACT = "moving window"
    SMOOTH = "sliding window counter"


@dataclass(frozen=True, slots=True)
class Charge:
    item: RateLimitItem
    identity: str  # what the window counts: the bucket's name and the caller or address
    amount: int
    window: Window


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    remaining: int
    retry_after: int  # whole seconds until the same charge could pass; 0 when it passed


def _limits_uri(redis_url: str) -> str:
    """The package's spelling of our REDIS_URL (it wants its async scheme, and redis+unix for sockets)."""
    scheme, _, rest = redis_url.partition("://")
    return f"async+redis+unix://{rest}" if scheme == "unix" else f"async+{scheme}://{rest}"


def _sliding_keys(bridge: RedispyBridge, key: str) -> list[str]:
    # RedisStorage's layout: "{key}/-1" the previous window, "{key}" the current one
    return [bridge.prefixed_key(f"{{{key}}}/-1"), bridge.prefixed_key(f"{{{key}}}")]


def smooth_retry_after(
    limit: int, expiry: float, amount: int, previous: int, previous_ttl: float, current: int, current_ttl: float
) -> int:
    """When `amount` fits again in a sliding window counter, read from its two counters (TTLs in seconds).

    The weighted count is previous * previous_ttl / expiry + current: the previous window's share shrinks
    as it expires; the current count only starts shrinking once it has become the previous window.
    """
    room = limit - amount
    if amount > limit:
        return math.ceil(2 * expiry)
    if previous and room - current >= 0:
        return max(1, math.ceil(previous_ttl - (room - current) * expiry / previous))
    if not current:
        return 1
    # the current window becomes the previous one when its TTL falls to one expiry, then decays
    shift = max(0.0, current_ttl - expiry)
    return max(1, math.ceil(shift + expiry - room * expiry / current))


def _smooth_verdict(charge: Charge, allowed: bool, counts: tuple[int, float, int, float]) -> Verdict:
    """A sliding window counter's verdict from its counters: (previous, its TTL, current, its TTL), in seconds."""
    item, (previous, previous_ttl, current, current_ttl) = charge.item, counts
    expiry = item.get_expiry()
    remaining = max(0, item.amount - math.floor(previous * previous_ttl / expiry + current))
    if allowed:
        return Verdict(True, remaining, 0)
    retry = smooth_retry_after(item.amount, expiry, charge.amount, previous, previous_ttl, current, current_ttl)
    return Verdict(False, remaining, retry)


class RedisWindows:
    """The shared windows: one pipeline per request."""

    def __init__(self, redis_url: str, timeout: float) -> None:
        # a client of its own with short timeouts: a hung Redis must cost a request little, not 5 s
        self.storage = RedisStorage(
            _limits_uri(redis_url),
            implementation="redispy",
            key_prefix=KEY_PREFIX,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
        self.bridge = cast(RedispyBridge, self.storage.bridge)

    async def charge(self, charges: Sequence[Charge]) -> list[Verdict]:
        replies = await self._run(charges)
        if any(isinstance(reply, NoScriptError) for reply in replies):
            # Redis restarted and forgot the scripts: load them and run once more (after a restart, every
            # script is missing, so nothing of the first run was counted)
            await self._load_scripts()
            replies = await self._run(charges)
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        now = time.time()
        return [self._verdict(charge, now, replies[2 * n], replies[2 * n + 1]) for n, charge in enumerate(charges)]

    async def _run(self, charges: Sequence[Charge]) -> list[Any]:
        bridge = self.bridge
        connection = cast(Redis, bridge.get_connection())
        now = time.time()
        pipe = connection.pipeline(transaction=False)

        def script(sha: str, keys: list[str], *args: float) -> None:
            pipe.evalsha(sha, len(keys), *keys, *(repr(arg) for arg in args))

        for charge in charges:
            item, key = charge.item, charge.item.key_for(charge.identity)
            expiry = item.get_expiry()
            if charge.window is Window.EXACT:
                keys = [bridge.prefixed_key(key)]
                script(bridge.lua_acquire_moving_window.sha, keys, now, item.amount, expiry, charge.amount)
                script(bridge.lua_moving_window.sha, keys, now - expiry, item.amount)
            else:
                keys = _sliding_keys(bridge, key)
                script(bridge.lua_acquire_sliding_window.sha, keys, item.amount, expiry, charge.amount)
                script(bridge.lua_sliding_window.sha, keys, expiry)
        return await pipe.execute(raise_on_error=False)

    async def _load_scripts(self) -> None:
        connection = cast(Redis, self.bridge.get_connection())
        for script in (
            self.bridge.lua_acquire_moving_window,
            self.bridge.lua_moving_window,
            self.bridge.lua_acquire_sliding_window,
            self.bridge.lua_sliding_window,
        ):
            await connection.script_load(script.script)

    @staticmethod
    def _verdict(charge: Charge, now: float, acquired: Any, window: Any) -> Verdict:
        item, allowed = charge.item, bool(acquired)
        expiry = item.get_expiry()
        if charge.window is Window.EXACT:
            oldest, count = (float(window[0]), int(window[1])) if window else (now, 0)
            retry = 0 if allowed else max(1, math.ceil(oldest + expiry - now))
            return Verdict(allowed, max(0, item.amount - count), retry)
        counts = (
            (
                int(window[0] or 0),
                max(0.0, float(window[1] or 0)) / 1000,
                int(window[2] or 0),
                max(0.0, float(window[3] or 0)) / 1000,
            )
            if window
            else (0, 0.0, 0, 0.0)
        )
        return _smooth_verdict(charge, allowed, counts)

    async def close(self) -> None:
        await cast(Redis, self.bridge.get_connection()).aclose()


class MemoryWindows:
    """The same windows in this process only: anonymous callers' stand-in while Redis is away."""

    def __init__(self) -> None:
        self.storage = MemoryStorage()
        self.strategies: dict[Window, RateLimiter] = {
            Window.EXACT: MovingWindowRateLimiter(self.storage),
            Window.SMOOTH: SlidingWindowCounterRateLimiter(self.storage),
        }

    async def charge(self, charges: Sequence[Charge]) -> list[Verdict]:
        verdicts = []
        for charge in charges:
            strategy = self.strategies[charge.window]
            allowed = await strategy.hit(charge.item, charge.identity, cost=charge.amount)
            if charge.window is Window.SMOOTH:
                key = charge.item.key_for(charge.identity)
                counts = await self.storage.get_sliding_window(key, charge.item.get_expiry())
                verdicts.append(_smooth_verdict(charge, allowed, counts))
                continue
            stats = await strategy.get_window_stats(charge.item, charge.identity)
            retry = 0 if allowed else max(1, math.ceil(stats.reset_time - time.time()))
            verdicts.append(Verdict(allowed, stats.remaining, retry))
        return verdicts
