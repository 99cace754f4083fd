"""The offline spool: every arrival is written here before it is sent (with its idempotency key), and what
is still pending is replayed in order. SQLite on the kiosk's own disk; one short transaction per change,
fully synced, so a power cut loses nothing that the citizen was told."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path


class ArrivalKind(StrEnum):
    CHECK_IN = "CHECK_IN"
    WALK_IN = "WALK_IN"


class ArrivalState(StrEnum):
    PENDING = "PENDING"  # not yet known to the server
    DONE = "DONE"  # the server holds its ticket
    REFUSED = "REFUSED"  # the server said no (e.g. an unknown code scanned offline)


@dataclass(frozen=True, slots=True)
class Arrival:
    seq: int
    idempotency_key: str
    kind: ArrivalKind
    office_id: str
    code: str | None
    service_id: str | None
    priority: str
    arrived_at: datetime
    block_number: int | None
    number: str | None
    state: ArrivalState
    ticket_id: str | None
    ticket_number: str | None
    refusal: str | None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS arrivals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('CHECK_IN', 'WALK_IN')),
    office_id TEXT NOT NULL,
    code TEXT,
    service_id TEXT,
    priority TEXT NOT NULL,
    arrived_at TEXT NOT NULL,
    block_number INTEGER,
    number TEXT,
    state TEXT NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'DONE', 'REFUSED')),
    ticket_id TEXT,
    ticket_number TEXT,
    refusal TEXT,
    CHECK ((kind = 'CHECK_IN') = (code IS NOT NULL)),
    CHECK ((kind = 'WALK_IN') = (service_id IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS arrivals_pending ON arrivals (seq) WHERE state = 'PENDING';
CREATE TABLE IF NOT EXISTS kiosk_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS number_blocks (
    office_id TEXT NOT NULL,
    day TEXT NOT NULL,
    first_number INTEGER NOT NULL,
    last_number INTEGER NOT NULL,
    next_number INTEGER NOT NULL,
    PRIMARY KEY (office_id, day, first_number),
    CHECK (first_number <= next_number AND next_number <= last_number + 1)
);
"""

_COLUMNS = (
    "seq, idempotency_key, kind, office_id, code, service_id, priority, arrived_at, block_number, number, state, "
    "ticket_id, ticket_number, refusal"
)


def _arrival(row: tuple[object, ...]) -> Arrival:
    (seq, key, kind, office, code, service, priority, arrived, block, number, state, ticket, ticket_number, refusal) = (
        row
    )
    return Arrival(
        seq=int(str(seq)),
        idempotency_key=str(key),
        kind=ArrivalKind(str(kind)),
        office_id=str(office),
        code=None if code is None else str(code),
        service_id=None if service is None else str(service),
        priority=str(priority),
        arrived_at=datetime.fromisoformat(str(arrived)),
        block_number=None if block is None else int(str(block)),
        number=None if number is None else str(number),
        state=ArrivalState(str(state)),
        ticket_id=None if ticket is None else str(ticket),
        ticket_number=None if ticket_number is None else str(ticket_number),
        refusal=None if refusal is None else str(refusal),
    )


class Spool:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def add(
        self,
        *,
        idempotency_key: str,
        kind: ArrivalKind,
        office_id: str,
        arrived_at: datetime,
        code: str | None = None,
        service_id: str | None = None,
        priority: str = "STANDARD",
    ) -> Arrival:
        with self._transaction() as db:
            cursor = db.execute(
                """INSERT INTO arrivals (idempotency_key, kind, office_id, code, service_id, priority, arrived_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (idempotency_key, kind.value, office_id, code, service_id, priority, arrived_at.isoformat()),
            )
            seq = cursor.lastrowid
        found = self.get(int(str(seq)))
        assert found is not None
        return found

    def get(self, seq: int) -> Arrival | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM arrivals WHERE seq = ?", (seq,)).fetchone()
        return _arrival(row) if row else None

    def all(self) -> list[Arrival]:
        return [_arrival(row) for row in self._db.execute(f"SELECT {_COLUMNS} FROM arrivals ORDER BY seq")]

    def pending(self) -> list[Arrival]:
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM arrivals WHERE state = 'PENDING' ORDER BY seq")
        return [_arrival(row) for row in rows]

    def has_pending(self) -> bool:
        return self._db.execute("SELECT 1 FROM arrivals WHERE state = 'PENDING' LIMIT 1").fetchone() is not None

    def give_number(self, seq: int, block_number: int, number: str) -> None:
        """The arrival went offline: the number from the kiosk's block that the citizen was given."""
        with self._transaction() as db:
            db.execute(
                "UPDATE arrivals SET block_number = ?, number = ? WHERE seq = ? AND state = 'PENDING'",
                (block_number, number, seq),
            )

    def settle(self, seq: int, *, ticket_id: str, ticket_number: str) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE arrivals SET state = 'DONE', ticket_id = ?, ticket_number = ? WHERE seq = ?",
                (ticket_id, ticket_number, seq),
            )

    def refuse(self, seq: int, message: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE arrivals SET state = 'REFUSED', refusal = ? WHERE seq = ?", (message, seq))

    def add_block(self, office_id: str, day: date, first_number: int, last_number: int) -> None:
        with self._transaction() as db:
            db.execute(
                """INSERT OR IGNORE INTO number_blocks (office_id, day, first_number, last_number, next_number)
                   VALUES (?, ?, ?, ?, ?)""",
                (office_id, day.isoformat(), first_number, last_number, first_number),
            )

    def take_number(self, office_id: str, day: date) -> int | None:
        """The next unused number of this office's blocks for that day, or None when they are used up."""
        with self._transaction() as db:
            row = db.execute(
                """SELECT first_number, next_number FROM number_blocks
                   WHERE office_id = ? AND day = ? AND next_number <= last_number
                   ORDER BY first_number LIMIT 1""",
                (office_id, day.isoformat()),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE number_blocks SET next_number = next_number + 1 WHERE office_id = ? AND day = ? "
                "AND first_number = ?",
                (office_id, day.isoformat(), row[0]),
            )
            return int(row[1])

    def numbers_left(self, office_id: str, day: date) -> int:
        value = self._db.execute(
            "SELECT coalesce(sum(last_number - next_number + 1), 0) FROM number_blocks WHERE office_id = ? AND day = ?",
            (office_id, day.isoformat()),
        ).fetchone()[0]
        return int(value)

    def remember(self, key: str, value: str) -> None:
        """Small things the kiosk must know when it starts offline (its office and services)."""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO kiosk_state (key, value) VALUES (?, ?)", (key, value))

    def recall(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM kiosk_state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])
