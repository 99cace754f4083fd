"""Failed sign-ins counted per (username, client address) and per client address, in Redis.

Reserve, then verify: an attempt is counted before its password is checked, in one Lua script that also
refuses when either count is at its limit, so a burst of 100 concurrent guesses gets no more checks than
the limit (checking first and counting after lets every request of a burst read "0 failures"). A success
gives its reservation back. Counts expire `window` seconds after the last attempt.

Keyed by address as well as username, a stranger's guesses lock out only the stranger: the owner signing in
from anywhere else is not affected (NIST SP 800-63B 5.2.2, OWASP ASVS V2.2.1), and the per-address count
stops one address spraying many usernames. Every API process shares the counts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from redis.asyncio import Redis

from core.errors import LimitExceededError

# KEYS: the (username, address) count, the address count. ARGV: their limits, the window in seconds.
# Returns 1 when the attempt was reserved, 0 when a limit is reached (nothing counted then).
_RESERVE = """
local user = tonumber(redis.call('GET', KEYS[1]) or '0')
local address = tonumber(redis.call('GET', KEYS[2]) or '0')
if user >= tonumber(ARGV[1]) or address >= tonumber(ARGV[2]) then
  return 0
end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
"""

# the owner proved the password from this address: their own count starts again; the address's count only
# loses this attempt, or one valid account would wipe out a sprayer's record of failures with others
_SUCCEEDED = """
redis.call('DEL', KEYS[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then
  redis.call('DECR', KEYS[2])
end
return 1
"""


@dataclass(frozen=True, slots=True)
class LoginLimits:
    max_failures: int  # per (username, address): TURNERO_LOGIN_MAX_FAILURES
    max_address_failures: int  # per address, any usernames: TURNERO_LOGIN_ADDRESS_MAX_FAILURES
    window_seconds: int  # TURNERO_LOGIN_LOCKOUT_SECONDS


def _keys(username: str, address: str) -> list[str]:
    # hashed: a username can be any text a caller sends, and keys should not carry it into Redis dumps
    user = hashlib.sha256(f"{username.lower()}\0{address}".encode()).hexdigest()[:32]
    return [f"turnero:login-failures:user:{user}", f"turnero:login-failures:address:{address}"]


async def reserve_attempt(redis: Redis, username: str, address: str, limits: LoginLimits) -> None:
    """Counts this attempt as a failure until it succeeds; LimitExceededError (nothing counted) when over."""
    reserve = redis.register_script(_RESERVE)  # EVALSHA: the script's text goes to Redis once
    reserved = await reserve(
        keys=_keys(username, address), args=[limits.max_failures, limits.max_address_failures, limits.window_seconds]
    )
    if not reserved:
        raise LimitExceededError("Too many failed sign-ins from here; try again in a few minutes.")


async def attempt_succeeded(redis: Redis, username: str, address: str) -> None:
    await redis.register_script(_SUCCEEDED)(keys=_keys(username, address))


async def failures(redis: Redis, username: str, address: str) -> tuple[int, int]:
    """The (username, address) and address counts, for tests and operators."""
    user, by_address = await redis.mget(_keys(username, address))
    return int(user or 0), int(by_address or 0)
