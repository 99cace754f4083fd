"""The `.eml` files the file transport leaves under `<data dir>/mail/` (transport.py): they carry names and
addresses like the rows they were written from, so they follow the same retention and erasure.

A file mentions a person when any of their strings (name, e-mail, phone) appears, case-insensitively, in its
headers or its text parts once decoded (RFC 2047 words, quoted-printable, base64), or in its raw bytes.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterable, Iterator
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

SUFFIX = ".eml"


def mail_dir(data_dir: Path) -> Path:
    return data_dir / "mail"


def _files(directory: Path) -> Iterator[Path]:
    if directory.is_dir():
        yield from (path for path in directory.iterdir() if path.suffix == SUFFIX and path.is_file())


def delete_older_than(directory: Path, cutoff: datetime) -> int:
    """Files last written before the cut-off; how many went."""
    limit = cutoff.timestamp()
    deleted = 0
    for path in _files(directory):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                deleted += 1
        except FileNotFoundError:  # another worker's run took it first
            continue
    return deleted


def readable_text(raw: bytes) -> str:
    """Everything a reader of the file could see: raw bytes, decoded headers and decoded text parts."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    pieces = [raw.decode("utf-8", "replace")]
    pieces.extend(str(value) for value in parsed.values())
    if isinstance(parsed, EmailMessage):
        for part in parsed.walk():
            if part.get_content_maintype() == "text":
                try:
                    pieces.append(str(part.get_content()))
                except (LookupError, ValueError):
                    continue
    return "\n".join(pieces)


def delete_mentioning(directory: Path, needles: Iterable[str]) -> int:
    """Files that mention any of the strings; how many went."""
    wanted = [needle.casefold() for needle in needles if needle.strip()]
    if not wanted:
        return 0
    deleted = 0
    for path in _files(directory):
        try:
            text = readable_text(path.read_bytes()).casefold()
            if any(needle in text for needle in wanted):
                path.unlink()
                deleted += 1
        except FileNotFoundError:
            continue
    return deleted
