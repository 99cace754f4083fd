"""A proof-of-work challenge for automation (issue 14, part 2): ALTCHA in its classic form.

A challenge is `SHA-256(salt + n)` for a secret n in [0, maxNumber], signed with an HMAC key derived from the
installation's secret key; the answer is the standard base64 ALTCHA payload (the widget's, or the `altcha`
package's solver). Finding n costs the caller about maxNumber / 2 hashes; checking it costs us one.

- `issue_challenge` hands one out. Its difficulty grows with how many challenges the client address was
  handed in the last hour (DIFFICULTY), so a loop from one address pays more for each seat than a person does.
  It expires after CHALLENGE_SECONDS (the `expires` parameter in its salt, which the signature covers).
- `require_challenge` is the gate: an anonymous caller under ALWAYS, or under ADAPTIVE beyond the address's
  free bookings in a rolling day, must send a solution; a solution is accepted once (its signature is
  remembered in Redis with SET NX until it expires) and only before it expires. A missing, forged, wrong,
  reused or expired one raises ChallengeRequiredError carrying a fresh challenge. Staff, devices and
  partners are exempt: they are accountable for what they book.

Free bookings are counted when the gate lets one through, before the booking runs: a burst of concurrent
requests from one address cannot all read "none used yet". A pass is spent whatever the booking's outcome.

When Redis cannot be reached nothing can be counted or remembered: ADAPTIVE then asks for a challenge as
ALWAYS does, at the lowest difficulty, and a solution is checked (signature, number, expiry) but its single
use cannot be; citizens' pages solve it in the background, so booking goes on.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, cast

from altcha.v1 import SHA256, ChallengeOptions, PayloadType, create_challenge, extract_params, verify_solution
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import DomainError, ErrorCode
from core.messages import Message, msg
from core.security import derived_key
from models.catalogue import ChallengePolicy, services
from resolvers.accounts.viewer import Viewer

logger = logging.getLogger("turnero.challenge")

ALGORITHM = SHA256
CHALLENGE_SECONDS = 300
DEFAULT_FREE_BOOKINGS = 2
FREE_WINDOW_SECONDS = 86_400
VOLUME_WINDOW_SECONDS = 3_600
# (challenges handed to the address in the last hour, maxNumber): solving costs about maxNumber / 2 hashes (the
# Python solver: 0.02 CPU s at 50,000, 0.5 s at 1,000,000), so a person's first challenges take a fraction of a
# second and a loop's hundredth in an hour takes seconds of CPU for each attempt
DIFFICULTY = ((0, 50_000), (10, 250_000), (30, 1_000_000), (100, 4_000_000))
# past the last step counting more changes nothing: the set stays small whatever an address sends
VOLUME_CAP = DIFFICULTY[-1][0]

# KEYS[1]: the moments (ms) of an address's recent events. ARGV: now (ms), window (ms), cap, a new member.
# Forgets what left the window, then records this event unless `cap` are already there, in one step so that
# concurrent requests cannot all see the same count. Returns {count before, 1 if recorded else 0}.
_RECORD = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
local count = redis.call('ZCARD', KEYS[1])
if count >= tonumber(ARGV[3]) then
  return {count, 0}
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {count, 1}
"""


class Gate(Protocol):
    """Asked with the slot's service before a seat is taken; raises to refuse (ChallengeGate is the one in use).
    `policy`: the service's, where the caller read it already (with the slot, in one round trip)."""

    async def __call__(self, conn: AsyncConnection, service_id: int, policy: ChallengePolicy | None = None) -> None: ...


ANSWER_HOW = msg("Solve the challenge given (ALTCHA) and send its payload as `challenge`.")


@dataclass(frozen=True, slots=True)
class IssuedChallenge:
    algorithm: str
    challenge: str
    salt: str
    signature: str
    max_number: int


class ChallengeRequiredError(DomainError):
    """The operation needs a solved challenge: `challenge` is a fresh one to solve."""

    code = ErrorCode.CHALLENGE_REQUIRED

    def __init__(self, message: str | Message, challenge: IssuedChallenge) -> None:
        super().__init__(message)
        self.challenge = challenge


def hmac_key(secret_key: bytes) -> bytes:
    """The challenges' signing key: derived from the installation's key, never stored."""
    return derived_key(secret_key, "altcha-challenge")


def exempt(viewer: Viewer) -> bool:
    return viewer.staff_user_id is not None or viewer.device_id is not None or viewer.partner_id is not None


def difficulty(recent: int) -> int:
    """maxNumber for an address handed `recent` challenges in the last hour."""
    return max(number for threshold, number in DIFFICULTY if recent >= threshold)


async def _record(redis: Redis, key: str, window_seconds: int, cap: int) -> tuple[int, bool] | None:
    """(events in the window before this one, whether this one was recorded); None when Redis is away."""
    now_ms = int(time.time() * 1000)
    try:
        count, recorded = await redis.register_script(_RECORD)(
            keys=[key], args=[now_ms, window_seconds * 1000, cap, f"{now_ms}:{secrets.token_hex(6)}"]
        )
    except (RedisError, OSError) as error:
        logger.warning("challenge: Redis unreachable (%s); every anonymous booking needs a challenge", error)
        return None
    return int(count), bool(recorded)


async def issue_challenge(redis: Redis, secret_key: bytes, address: str) -> IssuedChallenge:
    recorded = await _record(redis, f"turnero:challenge:issued:{address}", VOLUME_WINDOW_SECONDS, VOLUME_CAP)
    made = create_challenge(
        ChallengeOptions(
            algorithm=ALGORITHM,
            max_number=difficulty(recorded[0] if recorded else 0),
            hmac_key=hmac_key(secret_key),
            expires=datetime.now(UTC) + timedelta(seconds=CHALLENGE_SECONDS),
        )
    )
    return IssuedChallenge(made.algorithm, made.challenge, made.salt, made.signature, made.max_number)


def _payload(solution: str) -> PayloadType | None:
    """The ALTCHA payload (base64 of a JSON object) with each field of its type, else None."""
    try:
        data = json.loads(base64.b64decode(solution.strip(), validate=True))
    except (ValueError, binascii.Error, RecursionError):  # not base64, not UTF-8, not JSON, nested past reason
        return None
    if not isinstance(data, dict):
        return None
    texts = ("algorithm", "challenge", "salt", "signature")
    if not all(isinstance(data.get(name), str) for name in texts):
        return None
    if not isinstance(data.get("number"), int) or isinstance(data.get("number"), bool):
        return None
    return cast(PayloadType, data)


async def _redeem(redis: Redis, secret_key: bytes, solution: str) -> Message | None:
    """Accepts a solution once; why it is refused otherwise."""
    payload = _payload(solution)
    if payload is None:
        return msg("The challenge answer is not an ALTCHA payload (base64 of a JSON object). {how}", how=ANSWER_HOW)
    solved, _ = verify_solution(payload, hmac_key(secret_key), check_expires=False)
    if not solved:
        return msg("The challenge answer does not solve a challenge of ours. {how}", how=ANSWER_HOW)
    expires = extract_params(payload).get("expires")
    remaining = int(expires[0]) - time.time() if expires and expires[0].isdigit() else -1.0
    if remaining <= 0:
        return msg("The challenge has expired. {how}", how=ANSWER_HOW)
    try:
        first = await redis.set(f"turnero:challenge:used:{payload['signature']}", 1, nx=True, ex=int(remaining) + 1)
    except (RedisError, OSError) as error:
        logger.warning("challenge: Redis unreachable (%s); a solution's single use is not checked", error)
        return None
    return None if first else msg("This challenge was already used. {how}", how=ANSWER_HOW)


async def require_challenge(
    redis: Redis,
    secret_key: bytes,
    viewer: Viewer,
    address: str,
    policy: ChallengePolicy,
    solution: str | None,
    *,
    free_bookings: int = DEFAULT_FREE_BOOKINGS,
) -> None:
    """Returns when the caller may go on; ChallengeRequiredError (with a fresh challenge) otherwise.

    The one entry point for every operation that takes a scarce seat (`book`, `holdSlot`): call it after the
    request is known to be well formed and before the seat is taken, with the service's policy
    (`service_policy`), the caller's address (Context.client_address) and the `challenge` argument.
    """
    if policy is ChallengePolicy.NEVER or exempt(viewer):
        return
    if solution is not None and solution.strip():
        problem = await _redeem(redis, secret_key, solution)
        if problem is None:
            return
        raise ChallengeRequiredError(problem, await issue_challenge(redis, secret_key, address))
    if policy is ChallengePolicy.ALWAYS:
        message = msg("This procedure asks every online booking for a solved challenge. {how}", how=ANSWER_HOW)
    else:
        passed = await _record(redis, f"turnero:challenge:free:{address}", FREE_WINDOW_SECONDS, free_bookings)
        if passed is not None and passed[1]:
            return
        message = (
            msg(
                "This address has made its {count} bookings a day without a challenge. {how}",
                count=free_bookings,
                how=ANSWER_HOW,
            )
            if passed is not None
            else msg("Bookings cannot be counted just now, so each needs a solved challenge. {how}", how=ANSWER_HOW)
        )
    raise ChallengeRequiredError(message, await issue_challenge(redis, secret_key, address))


_POLICY = select(services.c.challenge_policy).where(services.c.id == bindparam("service_id"))


async def service_policy(conn: AsyncConnection, service_id: int) -> ChallengePolicy:
    found = (await conn.execute(_POLICY, {"service_id": service_id})).scalar_one_or_none()
    return ChallengePolicy(found) if found is not None else ChallengePolicy.ADAPTIVE


@dataclass(frozen=True, slots=True)
class ChallengeGate:
    """require_challenge bound to one request: what `book` calls with the service of the slot it books."""

    redis: Redis
    secret_key: bytes
    viewer: Viewer
    address: str
    solution: str | None
    free_bookings: int = DEFAULT_FREE_BOOKINGS

    async def __call__(self, conn: AsyncConnection, service_id: int, policy: ChallengePolicy | None = None) -> None:
        if exempt(self.viewer):
            return  # no query for those the policy never concerns
        if policy is None:
            policy = await service_policy(conn, service_id)
        await require_challenge(
            self.redis,
            self.secret_key,
            self.viewer,
            self.address,
            policy,
            self.solution,
            free_bookings=self.free_bookings,
        )
