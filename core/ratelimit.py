"""Rate limits: who is counted in which bucket, and what happens when Redis is away.

Buckets (settings TURNERO_RATE_…, docs/architecture.md "Protections"):
- a COST bucket per caller, charged each operation's static cost: a staff user, a device or a partner has
  one of its own (generous defaults, a partner's own figure when an ADMIN set one); an anonymous caller is
  counted by client address. So citizens' traffic, however much, never drains a desk's, a kiosk's, a
  display's or the phone line's bucket.
- per client address, counted per root field asked (aliases included): `login` for everyone; for anonymous
  callers `book`/`rescheduleBooking`/`cancelBooking` together, and searches (`availability`,
  `earliestSlots`, `holdSlot`; an answer from the availability cache counts like a computed one). Refused
  attempts count too: a bot that keeps trying stays refused.
- per caller (a staff user, whatever their address): `findBookings`, the phone line's search of people's
  bookings (`lookups`).

When Redis cannot be reached, token holders are not counted at all (fail open: a kiosk must keep
working) and anonymous callers are counted in this process's memory; Redis is tried again after
TURNERO_RATE_REDIS_RETRY_SECONDS, and used again as soon as it answers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from limits import RateLimitItem, RateLimitItemPerSecond, parse_many
from redis.exceptions import RedisError

from core.metrics import RATE_LIMITED, RATE_LOCAL
from core.rate_batch import CostBatch
from core.rate_windows import Charge, MemoryWindows, RedisWindows, Verdict, Window
from core.settings import Settings

logger = logging.getLogger("turnero.ratelimit")


class Credential(Protocol):
    """What the limits need to know of the caller: the resolvers' Viewer, which this layer does not import."""

    @property
    def staff_user_id(self) -> int | None: ...
    @property
    def partner_id(self) -> int | None: ...
    @property
    def partner_cost_per_second(self) -> int | None: ...
    @property
    def device_id(self) -> int | None: ...


LOGIN_FIELDS = frozenset({"login"})
BOOKING_FIELDS = frozenset(
    {
        "book",
        "rescheduleBooking",
        "cancelBooking",
        "joinWaitlist",
        "leaveWaitlist",
        "acceptOffer",
        "enterDraw",
        "withdrawDrawEntry",
        # a place in a line from home: one script must not fill an office's queue
        "joinQueue",
    }
)
# a hold is the pick of a time a search showed: counted with the searches, so booking budgets stay whole
SEARCH_FIELDS = frozenset({"availability", "earliestSlots", "holdSlot"})
# the phone line's search of people's bookings: per staff user (whoever asks; anonymous callers are refused anyway)
LOOKUP_FIELDS = frozenset({"findBookings"})
REDIS_TIMEOUT_SECONDS = 0.5
# an address found with its cost bucket spent is refused outright for this long (then asks Redis again), and
# at most this many such addresses are remembered
SPENT_SECONDS = 1
SPENT_ADDRESSES = 100_000


@dataclass(frozen=True, slots=True)
class Caller:
    identity: str  # "staff:7", "device:3", "partner:2" or "address:203.0.113.9"
    trusted: bool  # a token holder: fails open when Redis is away
    cost_per_second: int


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    retry_after: int  # seconds; 0 when allowed
    refused: str | None  # the bucket that refused: cost, login, bookings, searches, lookups
    cost_limit: int
    cost_remaining: int | None  # None when nothing was counted (Redis away, caller trusted)


class RatePolicy:
    """Which charges an operation makes, from the settings."""

    def __init__(self, settings: Settings) -> None:
        self.window = settings.rate_cost_window_seconds
        self.rates = {
            "staff": settings.rate_staff_cost_per_second,
            "device": settings.rate_device_cost_per_second,
            "partner": settings.rate_partner_cost_per_second,
            "address": settings.rate_anonymous_cost_per_second,
        }
        self.login = parse_many(settings.rate_login)
        self.bookings = parse_many(settings.rate_bookings)
        self.searches = parse_many(settings.rate_searches)
        self.lookups = parse_many(settings.rate_lookups)
        self.cost_items: dict[int, RateLimitItem] = {}

    def caller(self, viewer: Credential, address: str) -> Caller:
        if viewer.staff_user_id is not None:
            return Caller(f"staff:{viewer.staff_user_id}", True, self.rates["staff"])
        if viewer.partner_id is not None:
            rate = viewer.partner_cost_per_second or self.rates["partner"]
            return Caller(f"partner:{viewer.partner_id}", True, rate)
        if viewer.device_id is not None:
            return Caller(f"device:{viewer.device_id}", True, self.rates["device"])
        return Caller(f"address:{address}", False, self.rates["address"])

    def cost_item(self, caller: Caller) -> RateLimitItem:
        item = self.cost_items.get(caller.cost_per_second)
        if item is None:  # a handful of rates: the defaults and the partners' own
            item = RateLimitItemPerSecond(caller.cost_per_second * self.window, self.window)
            self.cost_items[caller.cost_per_second] = item
        return item

    def charges(self, caller: Caller, address: str, cost: int, fields: Mapping[str, int]) -> list[tuple[str, Charge]]:
        """The cost charge first, then the per-address ones this operation's root fields call for."""
        charges = [("cost", Charge(self.cost_item(caller), f"cost/{caller.identity}", cost, Window.SMOOTH))]
        buckets = [("login", LOGIN_FIELDS, self.login)]
        if not caller.trusted:
            buckets += [("bookings", BOOKING_FIELDS, self.bookings), ("searches", SEARCH_FIELDS, self.searches)]
        for name, names, items in buckets:
            count = sum(fields.get(field, 0) for field in names)
            if count:
                charges += [(name, Charge(item, f"{name}/{address}", count, Window.EXACT)) for item in items]
        lookups = sum(fields.get(field, 0) for field in LOOKUP_FIELDS)
        if lookups:
            key = f"lookups/{caller.identity}"
            charges += [("lookups", Charge(item, key, lookups, Window.EXACT)) for item in self.lookups]
        return charges


class RateLimiter:
    """One per process: the shared windows in Redis, this process's own while Redis is away."""

    def __init__(self, settings: Settings) -> None:
        assert settings.redis_url, "resolve_servers() first"
        self.policy = RatePolicy(settings)
        self.shared = RedisWindows(settings.redis_url, REDIS_TIMEOUT_SECONDS)
        self.local = MemoryWindows()
        self.batch = CostBatch(self.shared, settings.rate_cost_batch_seconds)
        self.retry_seconds = settings.rate_redis_retry_seconds
        self.redis_back_at = 0.0  # while in the future, Redis is not tried
        # anonymous addresses whose cost bucket is spent, until when (time.monotonic()): their next requests
        # are refused before a byte of GraphQL is parsed (server/limits_http.py)
        self.spent: dict[str, float] = {}

    async def check(self, viewer: Credential, address: str, cost: int, fields: Mapping[str, int]) -> Decision:
        caller = self.policy.caller(viewer, address)
        named = self.policy.charges(caller, address, max(cost, 0), fields)
        charges = [charge for _, charge in named]
        if len(charges) == 1 and time.monotonic() >= self.redis_back_at:
            # the cost charge alone, of a caller far from its limit: counted here, sent with the next batch
            taken = self.batch.take(charges[0])
            if taken is not None:
                return Decision(True, 0, None, charges[0].item.amount, taken.remaining)
        charges[0] = self.batch.with_waiting(charges[0])
        verdicts = await self._shared(charges)
        if verdicts is None:
            RATE_LOCAL.inc()
            if caller.trusted:
                return Decision(True, 0, None, named[0][1].item.amount, None)
            verdicts = await self.local.charge(charges)
        refusals = [
            (verdict.retry_after, name)
            for (name, _), verdict in zip(named, verdicts, strict=True)
            if not verdict.allowed
        ]
        retry_after, refused = max(refusals) if refusals else (0, None)
        if refused is not None:
            RATE_LIMITED.labels(refused).inc()
            if refused == "cost" and not caller.trusted and verdicts[0].remaining < caller.cost_per_second:
                self._spend(address)
        return Decision(not refusals, retry_after, refused, named[0][1].item.amount, verdicts[0].remaining)

    def _spend(self, address: str) -> None:
        now = time.monotonic()
        if len(self.spent) >= SPENT_ADDRESSES:
            self.spent = {a: until for a, until in self.spent.items() if until > now}
        if len(self.spent) < SPENT_ADDRESSES:
            self.spent[address] = now + SPENT_SECONDS

    def is_spent(self, address: str) -> bool:
        """Whether this anonymous address's cost bucket was found spent (less than a second's refill left)
        within the last SPENT_SECONDS: any operation of it would be refused, so none need be parsed."""
        until = self.spent.get(address)
        return until is not None and until > time.monotonic()

    async def _shared(self, charges: list[Charge]) -> list[Verdict] | None:
        if time.monotonic() < self.redis_back_at:
            return None
        try:
            verdicts = await self.shared.charge(charges)
        except (RedisError, OSError) as error:
            if self.redis_back_at == 0.0:
                logger.warning("rate limits: Redis unreachable (%s); tokens uncounted, addresses per process", error)
            self.redis_back_at = time.monotonic() + self.retry_seconds
            return None
        if self.redis_back_at:
            logger.warning("rate limits: Redis is back; limits are shared again")
            self.redis_back_at = 0.0
        self.batch.learn(charges[0], verdicts[0])
        return verdicts

    async def close(self) -> None:
        await self.batch.close()
        await self.shared.close()
