"""The typed SQLAlchemy model: importing this package registers every table on Base.metadata."""

from models import accounts, agenda, analytics, audit, booking, catalogue, draws, notifications, queue, waitlist
from models.base import Base

__all__ = [
    "Base",
    "accounts",
    "agenda",
    "analytics",
    "audit",
    "booking",
    "catalogue",
    "draws",
    "notifications",
    "queue",
    "waitlist",
]
