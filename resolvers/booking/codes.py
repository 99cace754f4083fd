"""Booking codes people can read over the phone, and the hold tokens of held seats (manage tokens:
core/manage_tokens.py)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# no 0/O, 1/I/L: a code read aloud or typed at a kiosk has one reading
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def new_code() -> str:
    return new_codes(1)[0]


def new_codes(count: int) -> list[str]:
    """`count` independent codes from one draw of the system's random source: a number below 31^(8 count) read
    as base-31 digits is as uniform as eight choices per code, and costs one call instead of eight per code (the
    one-call booking sends ten, for its retries on a taken code)."""
    base = len(CODE_ALPHABET)
    number = secrets.randbelow(base ** (CODE_LENGTH * count))
    digits = []
    for _ in range(CODE_LENGTH * count):
        number, digit = divmod(number, base)
        digits.append(CODE_ALPHABET[digit])
    return ["".join(digits[start : start + CODE_LENGTH]) for start in range(0, len(digits), CODE_LENGTH)]


def normalise_code(value: str) -> str:
    """Codes are typed by hand: case, spaces and dashes do not matter."""
    return value.strip().upper().replace(" ", "").replace("-", "")


def new_hold_token() -> str:
    """256 random bits: whoever has it books the held seat, so it is as strong as a manage token."""
    return secrets.token_urlsafe(32)


def hold_token_hash(secret_key: bytes, token: str) -> bytes:
    return hmac.new(secret_key, b"hold-hash:" + token.encode(), hashlib.sha256).digest()


def hold_address_hash(secret_key: bytes, address: str) -> bytes:
    """Live holds are counted per client address without keeping the address."""
    return hmac.new(secret_key, b"hold-address:" + address.encode(), hashlib.sha256).digest()
