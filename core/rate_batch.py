"""Cost charges of callers far from their limit, counted in this process and sent to Redis together.

A Redis round trip per request is most of what the rate limits cost (about a quarter of a millisecond of
CPU, against some 1.4 ms for a whole trivial query). A caller with plenty of its cost bucket left cannot be
refused by one more charge, so that charge need not wait for Redis: this process counts it, and every
TURNERO_RATE_COST_BATCH_SECONDS a background flush sends each caller's sum in one pipeline, which also
brings back what Redis now says is left.

A charge is taken here only when all of these hold; otherwise it goes to Redis at once, as before:
- Redis told this process what the caller had left less than FRESH_SECONDS ago;
- after it (and what is waiting to be sent), at least half of the caller's bucket is still left;
- what waits for this caller stays under a tenth of its bucket.
When a charge goes to Redis at once, what waits for its caller goes with it. So every refusal is decided by
Redis with every process's spending counted, and a caller can overspend by
at most a tenth of its bucket per process and flush, once, before the next flush brings it back to Redis's
count. A flush that Redis refuses (the caller's other processes spent the rest meanwhile) loses that sum and
marks the caller as spent here, so its next request asks Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, replace

from redis.exceptions import RedisError

from core.rate_windows import Charge, RedisWindows, Verdict

logger = logging.getLogger("turnero.ratelimit")

FRESH_SECONDS = 2.0
KEEP_SHARE = 0.5  # of the bucket that must be left after a local charge
WAITING_SHARE = 0.1  # of the bucket that may wait for one caller


@dataclass(slots=True)
class _Known:
    read_at: float  # time.monotonic() when Redis said it
    remaining: int


class CostBatch:
    """One per process, beside the RateLimiter's RedisWindows."""

    def __init__(self, shared: RedisWindows, batch_seconds: float) -> None:
        self.shared = shared
        self.batch_seconds = batch_seconds
        self.known: dict[str, _Known] = {}
        self.waiting: dict[str, Charge] = {}  # identity → the caller's charge, its amount the sum waiting
        self.flusher: asyncio.Task[None] | None = None

    def take(self, charge: Charge) -> Verdict | None:
        """The verdict, when this charge can be counted here; None when it must go to Redis now."""
        if self.batch_seconds <= 0:
            return None
        known = self.known.get(charge.identity)
        if known is None or time.monotonic() - known.read_at > FRESH_SECONDS:
            return None
        limit = charge.item.amount
        waiting = self.waiting.get(charge.identity)
        total = charge.amount + (waiting.amount if waiting is not None else 0)
        left = known.remaining - total
        if left < limit * KEEP_SHARE or total > limit * WAITING_SHARE:
            return None
        self.waiting[charge.identity] = replace(charge, amount=total)
        if self.flusher is None or self.flusher.done():
            self.flusher = asyncio.get_running_loop().create_task(self._flush_later())
        return Verdict(True, left, 0)

    def with_waiting(self, charge: Charge) -> Charge:
        """The charge, with what waits here for the same caller: sent now together, so Redis's answer counts
        everything this process let through."""
        waiting = self.waiting.pop(charge.identity, None)
        return charge if waiting is None else replace(charge, amount=charge.amount + waiting.amount)

    def learn(self, charge: Charge, verdict: Verdict) -> None:
        """What Redis answered to a charge made at once: a fresh reading of the caller's bucket."""
        if self.batch_seconds > 0:
            self.known[charge.identity] = _Known(time.monotonic(), verdict.remaining if verdict.allowed else 0)

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.batch_seconds)
        await self.flush()

    async def flush(self) -> None:
        charges, self.waiting = list(self.waiting.values()), {}
        now = time.monotonic()
        self.known = {identity: k for identity, k in self.known.items() if now - k.read_at <= FRESH_SECONDS}
        if not charges:
            return
        try:
            verdicts = await self.shared.charge(charges)
        except (RedisError, OSError) as error:
            # the sums are lost, as any charge is while Redis is away; the next requests ask Redis themselves
            logger.warning("rate limits: a batch of %d cost charges was not counted (%s)", len(charges), error)
            self.known.clear()
            return
        read_at = time.monotonic()
        for charge, verdict in zip(charges, verdicts, strict=True):
            self.known[charge.identity] = _Known(read_at, verdict.remaining if verdict.allowed else 0)

    async def close(self) -> None:
        if self.flusher is not None and not self.flusher.done():
            self.flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.flusher
        with contextlib.suppress(RedisError, OSError):
            await self.flush()
