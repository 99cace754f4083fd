"""One person under many spellings: the keys per-citizen limits count by (document, e-mail, phone).

Each is a keyed hash of a normalised form, so the stored key says nothing without the secret key, and
`Ana.Perez+turno1@GMail.com` and `anaperez@gmail.com` (or `0351 15-555-1234` and `+54 9 351 555 1234`) are
one person to the limits while the booking keeps the address as the citizen wrote it for the mail.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

from sqlalchemy import BigInteger, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

# Gmail ignores dots in the local part and delivers googlemail.com to the same mailbox
_DOTLESS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}
# providers that deliver local+anything to local
_PLUS_TAGS = frozenset(
    {
        "gmail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "fastmail.com",
        "yandex.com",
        "yandex.ru",
        "zoho.com",
    }
)


def normalise_email(email: str) -> str:
    """Lower case; for the common providers without +tags; for Gmail also without dots."""
    local, _, domain = email.strip().lower().rpartition("@")
    domain = _DOTLESS.get(domain, domain)
    if domain in _PLUS_TAGS:
        local = local.split("+", 1)[0]
    if domain == "gmail.com":
        local = local.replace(".", "")
    return f"{local}@{domain}"


def keyed_hash(secret_key: bytes, kind: str, value: str) -> bytes:
    return hmac.new(secret_key, f"{kind}:{value}".encode(), hashlib.sha256).digest()


def email_hash(secret_key: bytes, email: str) -> bytes:
    return keyed_hash(secret_key, "email", normalise_email(email))


def phone_hash(secret_key: bytes, e164: str) -> bytes:
    """The phone is already E.164 (citizen.py parses it): one number, one form."""
    return keyed_hash(secret_key, "phone", e164)


def fold_name(name: str) -> str:
    """`  José  María PÉREZ ` and `jose maria perez` are one name: accents, case and runs of spaces folded."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def name_hash(secret_key: bytes, name: str) -> bytes:
    """What findBookings matches a name by: whole and exact once folded (a part of a name finds nothing)."""
    return keyed_hash(secret_key, "name", fold_name(name))


def lock_keys(*hashes: bytes | None) -> list[int]:
    """Advisory-lock keys for a person's hashes, in ascending order: two bookings sharing any of them queue on
    it, and since everyone takes locks in the same order, two sharing several cannot deadlock."""
    return sorted({int.from_bytes(h[:8], "big", signed=True) for h in hashes if h is not None})


# one round trip for all of a person's (or a party's) keys; unnest hands them over in the array's order, which
# lock_keys made ascending
_KEY = func.unnest(bindparam("keys", type_=ARRAY(BigInteger))).column_valued("k")
_ADVISORY_LOCKS = select(func.pg_advisory_xact_lock(_KEY))


async def lock_people(conn: AsyncConnection, *hashes: bytes | None) -> None:
    """The advisory locks of these hashes (lock_keys), held to the end of the transaction."""
    keys = lock_keys(*hashes)
    if keys:
        await conn.execute(_ADVISORY_LOCKS, {"keys": keys})
