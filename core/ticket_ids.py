"""A ticket's ID as the API shows it: the row's number and a keyed MAC of it, so counting finds nothing.

Anyone holding a ticket's ID may follow it without signing in (the kiosk's QR, the /ticket page), so the
ID is the capability and must not be guessable. A random column would do the same job, but the MAC needs
no migration, no index and no extra read: every process derives and checks it from the secret key alone,
for old tickets as for new ones, and it costs one HMAC per ticket shown. Rotating the secret key retires
every ticket ID (and every manage token) at once; tickets live a day, so that is acceptable.

The row's number in front leaks no more than the displayed number (L-042) already does; what makes the
ID unguessable is the 80-bit tag after it, compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from core.validation import parse_id

TAG_BYTES = 10  # 80 bits: 16 base32 characters
_TAG_CHARACTERS = 16


def _tag(secret_key: bytes, ticket_id: int) -> str:
    digest = hmac.new(secret_key, b"ticket-id:" + str(ticket_id).encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:TAG_BYTES]).decode().lower()


def public_ticket_id(secret_key: bytes, ticket_id: int) -> str:
    return f"{ticket_id}-{_tag(secret_key, ticket_id)}"


def parse_ticket_id(secret_key: bytes, value: str) -> int | None:
    """The ticket's row number, or None when `value` is not an ID this server gave out."""
    number_part, dash, tag = value.strip().partition("-")
    if not dash or len(tag) != _TAG_CHARACTERS or not tag.isascii():
        return None
    number = parse_id(number_part)
    if number is None:
        return None
    return number if hmac.compare_digest(tag.lower(), _tag(secret_key, number)) else None
