"""Offices, services, which office offers which service, desks and opening hours."""

from __future__ import annotations

import enum
from datetime import datetime, time

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at_column, id_column, table_of


class Office(Base):
    __tablename__ = "offices"
    __table_args__ = (
        CheckConstraint("latitude IS NULL OR latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR longitude BETWEEN -180 AND 180", name="longitude_range"),
        CheckConstraint("slug ~ '^[a-z0-9][a-z0-9-]*$'", name="slug_format"),
        CheckConstraint("max_occupancy IS NULL OR max_occupancy > 0", name="max_occupancy_positive"),
        CheckConstraint("remote_head_in_places BETWEEN 1 AND 100", name="remote_head_in_places_range"),
    )

    id: Mapped[int] = id_column()
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    timezone: Mapped[str] = mapped_column(String(64))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # front-desk rules: check-in from this long before the slot until this long after; PRIORITY head start
    checkin_opens_minutes: Mapped[int] = mapped_column(Integer, server_default="60")
    checkin_closes_minutes: Mapped[int] = mapped_column(Integer, server_default="15")
    priority_head_start_minutes: Mapped[int] = mapped_column(Integer, server_default="15")
    # how many people the premises may hold at once (fire safety); officeLive compares the people inside
    max_occupancy: Mapped[int | None] = mapped_column(Integer)
    # citizens may join the line from home (joinQueue); they are told to come in this many places from the front
    remote_queue: Mapped[bool] = mapped_column(Boolean, server_default="false")
    remote_head_in_places: Mapped[int] = mapped_column(Integer, server_default="3")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class OpeningHours(Base):
    """One opening interval of an office on one ISO weekday (a weekday may have several)."""

    __tablename__ = "opening_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday_range"),
        CheckConstraint("opens < closes", name="opens_before_closes"),
    )

    office_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True)
    weekday: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    opens: Mapped[time] = mapped_column(Time, primary_key=True)
    closes: Mapped[time] = mapped_column(Time)


class ChallengePolicy(enum.StrEnum):
    """When an anonymous booking of a service needs a solved proof-of-work challenge (resolvers/booking/challenge)."""

    NEVER = "NEVER"
    ADAPTIVE = "ADAPTIVE"  # beyond the client address's free bookings a day (TURNERO_CHALLENGE_FREE_BOOKINGS)
    ALWAYS = "ALWAYS"


class ReleasePolicy(enum.StrEnum):
    """How a service's newly released seats are given out (resolvers/draws)."""

    FIRST_COME = "FIRST_COME"
    DRAW = "DRAW"  # entries during drawMinutes after the release, then a seeded draw; what is left, first come


class Service(Base):
    __tablename__ = "services"
    __table_args__ = (
        CheckConstraint("duration_minutes BETWEEN 1 AND 1440", name="duration_range"),
        CheckConstraint("booking_window_days BETWEEN 1 AND 730", name="booking_window_range"),
        CheckConstraint("max_active_bookings_per_citizen >= 1", name="max_active_positive"),
        CheckConstraint("max_party_size BETWEEN 1 AND 10", name="max_party_size_range"),
        CheckConstraint("draw_minutes BETWEEN 5 AND 10080", name="draw_minutes_range"),
        CheckConstraint("ticket_prefix ~ '^[A-Z]{1,2}$'", name="ticket_prefix_format"),
        CheckConstraint("slug ~ '^[a-z0-9][a-z0-9-]*$'", name="slug_format"),
    )

    id: Mapped[int] = id_column()
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(100))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    required_documents: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    walk_in_allowed: Mapped[bool] = mapped_column(Boolean, server_default="true")
    booking_window_days: Mapped[int] = mapped_column(Integer, server_default="30")
    ticket_prefix: Mapped[str] = mapped_column(String(2))
    max_active_bookings_per_citizen: Mapped[int] = mapped_column(Integer, server_default="1")
    challenge_policy: Mapped[ChallengePolicy] = mapped_column(
        Enum(ChallengePolicy, name="challenge_policy"), server_default="ADAPTIVE"
    )
    # citizens' bookings stay PENDING until confirmed from the mailed link (proof of a reachable person)
    confirmation_required: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # how many people one booking may bring: the holder and up to max_party_size - 1 companions
    max_party_size: Mapped[int] = mapped_column(Integer, server_default="1")
    release_policy: Mapped[ReleasePolicy] = mapped_column(
        Enum(ReleasePolicy, name="release_policy"), server_default="FIRST_COME"
    )
    # under DRAW: how long entries are taken after a release, before the draw
    draw_minutes: Mapped[int] = mapped_column(Integer, server_default="60")
    # the words people use for it, added by an admin ("partida", "carnet de conducir"): searched like the name
    keywords: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    # lower-cased, accent-free name, category, description and keywords: the words `services(search)` finds
    search_text: Mapped[str] = mapped_column(Text)
    # the same of name, keywords and category only: what spelling variants are measured against (pg_trgm)
    search_keys: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class ServiceTranslation(Base):
    """A procedure's texts in another language than the city's default (the services row holds those)."""

    __tablename__ = "service_translations"

    service_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("services.id", ondelete="CASCADE"), primary_key=True)
    # a BCP 47 tag as babel reads it: "en", "pt", "en-GB"
    locale: Mapped[str] = mapped_column(String(35), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(100))
    required_documents: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    keywords: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")


class OfficeService(Base):
    """An office offers a service: registered by an agenda or a desk for it."""

    __tablename__ = "office_services"

    office_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True)
    service_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("services.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Desk(Base):
    __tablename__ = "desks"
    __table_args__ = (UniqueConstraint("office_id", "name"),)

    id: Mapped[int] = id_column()
    office_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("offices.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = created_at_column()


class DeskService(Base):
    __tablename__ = "desk_services"

    desk_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("desks.id", ondelete="CASCADE"), primary_key=True)
    service_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("services.id", ondelete="CASCADE"), primary_key=True, index=True
    )


offices = table_of(Office)
office_services = table_of(OfficeService)
services = table_of(Service)
service_translations = table_of(ServiceTranslation)
opening_hours = table_of(OpeningHours)
desks = table_of(Desk)
desk_services = table_of(DeskService)
