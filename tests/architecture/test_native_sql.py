"""Native SQL (`text(`) only where docs/architecture.md says why: everything else is built from the models."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "dataloaders", "demo", "jobs", "notifications", "realtime", "resolvers", "schema", "server")
# `text(` as SQLAlchemy's, not as part of a longer name (plain_text(, render_text(, …)
NATIVE = re.compile(r"(?<![\w.])text\(|sqlalchemy\.text\(")


def listed() -> set[str]:
    doc = (ROOT / "docs" / "architecture.md").read_text()
    table = doc.split("Native SQL that stays `text()`", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([\w/]+\.py)` \|", table, re.M))


def using_text() -> set[str]:
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if NATIVE.search(path.read_text()):
                found.add(str(path.relative_to(ROOT)))
    return found


def test_text_appears_only_in_the_files_the_architecture_lists() -> None:
    assert using_text() == listed()


def test_the_pattern_tells_sqlalchemy_text_from_other_names() -> None:
    assert NATIVE.search('rows = await conn.execute(text("SELECT 1"))')
    assert not NATIVE.search('plain_text("name", value)')
    assert "resolvers/booking/seats.py" in listed()
