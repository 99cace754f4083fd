"""The typed SQLAlchemy model: importing this package registers every table on Base.metadata."""

from models import accounts, agenda, booking, catalogue, notifications, queue
from models.base import Base

__all__ = ["Base", "accounts", "agenda", "booking", "catalogue", "notifications", "queue"]
