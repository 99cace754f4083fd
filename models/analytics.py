"""Analytics: one narrow row per booking and per ticket with its figures and its office-local day and
hour (kept current by a worker job), their counts per hour, the searches that found no free slot,
counted per hour, and the `stats` answers of closed periods kept ahead (resolvers/analytics/answers.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, id_column


@dataclass(frozen=True, slots=True)
class Measure:
    """A measure of the facts whose median and 90th percentile `stats` gives: its column, which facts have
    one (`rows`), and its partial covering index over those (the keys and the value), which the
    percentiles read instead of the table. Its queries must say `rows` exactly as the index does, or
    PostgreSQL will not use the index."""

    name: str
    column: str
    rows: str
    index: str


MEASURES = (
    Measure("wait", "wait_seconds", "wait_seconds IS NOT NULL", "ix_visit_facts_wait"),
    Measure("service", "service_seconds", "service_seconds IS NOT NULL", "ix_visit_facts_service_time"),
    # every booking not cancelled has a lead time; a cancelled one never counts
    Measure("lead", "lead_seconds", "booked", "ix_visit_facts_lead_time"),
)
MEASURE_INDEX_KEYS = ("local_date", "office_id", "service_id", "local_hour")


class VisitFact(Base):
    """A booking (kind B, anchored at its appointment) or a ticket (kind T, anchored at its issue).

    Derived data: resolvers/analytics/facts.py rebuilds any row from bookings, tickets, queue events and
    feedback, so it may be refreshed at any time and as often as wanted.
    """

    __tablename__ = "visit_facts"
    __table_args__ = (
        CheckConstraint("kind IN ('B', 'T')", name="kind_known"),
        Index("ix_visit_facts_local_date", "local_date"),
        Index("ix_visit_facts_office_local_date", "office_id", "local_date"),
        *(Index(m.index, *MEASURE_INDEX_KEYS, m.column, postgresql_where=text(m.rows)) for m in MEASURES),
    )

    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    source_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    office_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("offices.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("services.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # `at` in the office's own time zone: what every grouping reads
    local_date: Mapped[date] = mapped_column(Date)
    local_hour: Mapped[int] = mapped_column(SmallInteger)
    booked: Mapped[bool] = mapped_column(Boolean)
    cancelled: Mapped[bool] = mapped_column(Boolean)
    came: Mapped[bool] = mapped_column(Boolean)
    no_show: Mapped[bool] = mapped_column(Boolean)
    walk_in: Mapped[bool] = mapped_column(Boolean)
    served: Mapped[bool] = mapped_column(Boolean)
    lead_seconds: Mapped[int | None] = mapped_column(Integer)
    wait_seconds: Mapped[int | None] = mapped_column(Integer)
    service_seconds: Mapped[int | None] = mapped_column(Integer)
    estimated_wait_minutes: Mapped[int | None] = mapped_column(Integer)
    called_after_seconds: Mapped[int | None] = mapped_column(Integer)
    rating: Mapped[int | None] = mapped_column(SmallInteger)


class VisitCount(Base):
    """The facts of one office, procedure, local day and hour, counted (resolvers/analytics/facts.py keeps
    them with the facts): what `stats` adds up for its counts instead of every fact."""

    __tablename__ = "visit_counts"
    __table_args__ = (Index("ix_visit_counts_office_local_date", "office_id", "local_date"),)

    local_date: Mapped[date] = mapped_column(Date, primary_key=True)
    office_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True)
    service_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("services.id", ondelete="CASCADE"), primary_key=True)
    local_hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    booked: Mapped[int] = mapped_column(Integer)
    cancelled: Mapped[int] = mapped_column(Integer)
    came: Mapped[int] = mapped_column(Integer)
    no_shows: Mapped[int] = mapped_column(Integer)
    walk_ins: Mapped[int] = mapped_column(Integer)
    served: Mapped[int] = mapped_column(Integer)
    rating_count: Mapped[int] = mapped_column(Integer)
    rating_sum: Mapped[int] = mapped_column(Integer)
    rating_1: Mapped[int] = mapped_column(Integer)
    rating_2: Mapped[int] = mapped_column(Integer)
    rating_3: Mapped[int] = mapped_column(Integer)
    rating_4: Mapped[int] = mapped_column(Integer)
    rating_5: Mapped[int] = mapped_column(Integer)
    estimate_count: Mapped[int] = mapped_column(Integer)
    estimate_minutes_sum: Mapped[int] = mapped_column(Integer)
    called_after_seconds_sum: Mapped[int] = mapped_column(Integer)
    estimate_error_seconds_sum: Mapped[int] = mapped_column(Integer)


class UnmetSearch(Base):
    """Searches for a procedure (at an office, or anywhere: no office) that found no free slot, per hour."""

    __tablename__ = "unmet_searches"
    __table_args__ = (
        Index(
            "uq_unmet_searches_key",
            text("coalesce(office_id, 0)"),
            "service_id",
            "hour_start",
            unique=True,
        ),
        Index("ix_unmet_searches_hour_start", "hour_start"),
    )

    id: Mapped[int] = id_column()
    office_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("offices.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("services.id", ondelete="CASCADE"))
    hour_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    searches: Mapped[int] = mapped_column(Integer, server_default="1")


class StatsAnswer(Base):
    """A whole `stats` answer over closed days (resolvers/analytics/answers.py): kept until a facts refresh
    changes a fact of a day in [date_from, date_to], which deletes it in the same transaction."""

    __tablename__ = "stats_answers"
    __table_args__ = (Index("ix_stats_answers_days", "date_from", "date_to"),)

    # sha256 of the query (days, offices, procedures, grouping): a manager's 500 offices make a long key
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date] = mapped_column(Date)
    # which measures' percentiles it holds, and where (resolvers/analytics/stats.Scope names)
    scopes: Mapped[dict[str, str]] = mapped_column(JSONB)
    rows: Mapped[list[list[object]]] = mapped_column(JSONB)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


class StatsFactsGeneration(Base):
    """One row, counting the facts refreshes that changed anything: an answer computed while one committed
    is not kept (its figures may predate the change that deleted the answers it would join)."""

    __tablename__ = "stats_facts_generation"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, server_default="0")
