"""Secrets at rest: argon2 for passwords, keyed SHA-256 for bearer tokens (looked up on every request).

argon2 is slow on purpose (tens of milliseconds of CPU and 64 MiB per call). Run on the event loop it stalls
every other request of the process, so the async entry points run it in a small pool of threads of its own:
argon2-cffi releases the GIL while hashing, so the loop keeps serving, and at most `HASHING_THREADS`
hashes run at once, whatever arrives. Callers hold no database connection while they wait for it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from functools import partial
from typing import ParamSpec, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# verifying against this when the user does not exist keeps a wrong username as slow as a wrong password
_DUMMY_HASH = _hasher.hash("not a password of anybody")

TOKEN_BYTES = 32
P = ParamSpec("P")
R = TypeVar("R")
# two threads: a burst of sign-ins queues here rather than taking the machine's cores from everything else
HASHING_THREADS = 2
# each hash runs `parallelism` (4) lanes in threads of libargon2's own, which inherit the nice value of the
# thread that starts them; at +10 they get about a tenth of what the event loop's thread gets of a busy core
HASHING_NICENESS = 10


def _lower_priority() -> None:
    with suppress(OSError, AttributeError):  # Linux takes a thread id here; elsewhere this is a no-op
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


_hashing = ThreadPoolExecutor(max_workers=HASHING_THREADS, thread_name_prefix="argon2", initializer=_lower_priority)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def in_hashing_pool(work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """`work` on one of the hashing threads (also password strength checks: zxcvbn takes up to 40 ms)."""
    return await asyncio.get_running_loop().run_in_executor(_hashing, partial(work, *args, **kwargs))


async def verify_password_off_loop(password_hash: str | None, password: str) -> bool:
    return await in_hashing_pool(verify_password, password_hash, password)


def new_token(prefix: str) -> str:
    """A bearer token; the prefix (`ts_` staff session, `td_` device) only helps people reading logs."""
    return prefix + secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(secret_key: bytes, token: str) -> bytes:
    return hmac.new(secret_key, token.encode(), hashlib.sha256).digest()


def derived_key(secret_key: bytes, purpose: str) -> bytes:
    """32 bytes for one purpose (a webhook endpoint's signing key…), derived from the installation's key."""
    return hmac.new(secret_key, purpose.encode(), hashlib.sha256).digest()


def derived_secret(secret_key: bytes, purpose: str, length: int = 24) -> str:
    """A stable secret for one purpose (demo accounts), derived from the installation's key, never stored."""
    return base64.urlsafe_b64encode(derived_key(secret_key, purpose)).decode()[:length]
