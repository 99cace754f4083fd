"""What `stats` answers with: the checked question, its rows, and where percentiles are wanted (shared by
stats.py, which computes answers, and answers.py, which keeps those of closed days)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from models.analytics import MEASURES
from resolvers.analytics.stats_sql import Grouping

__all__ = ["EVERY_MEASURE", "Scope", "StatsQuery", "StatsRowRecord"]


@dataclass(frozen=True, slots=True)
class StatsQuery:
    """A filter checked and authorised: what the SQL runs with."""

    date_from: date
    date_to: date
    office_ids: list[int] | None
    service_ids: list[int] | None
    group_by: tuple[Grouping, ...]


@dataclass(frozen=True, slots=True)
class StatsRowRecord:
    total: bool
    period: date | None
    weekday: int | None
    hour: int | None
    office_id: int | None
    service_id: int | None
    booked: int
    cancelled: int
    came: int
    no_shows: int
    walk_ins: int
    served: int
    unmet_searches: int
    wait_median_minutes: float | None
    wait_p90_minutes: float | None
    service_median_minutes: float | None
    service_p90_minutes: float | None
    lead_time_median_days: float | None
    lead_time_p90_days: float | None
    rating_count: int
    rating_average: float | None
    ratings: tuple[int, int, int, int, int]
    estimate_count: int
    estimate_mean_minutes: float | None
    actual_mean_minutes: float | None
    estimate_mean_absolute_error_minutes: float | None

    @property
    def no_show_rate(self) -> float | None:
        """Of the appointments whose outcome is known (came or did not), the share that did not come."""
        settled = self.came + self.no_shows
        return self.no_shows / settled if settled else None

    @property
    def demand(self) -> int:
        return self.booked + self.walk_ins

    @property
    def estimate_bias_minutes(self) -> float | None:
        """Positive: people waited longer than they were told."""
        if self.actual_mean_minutes is None or self.estimate_mean_minutes is None:
            return None
        return self.actual_mean_minutes - self.estimate_mean_minutes


class Scope(enum.Enum):
    """Where a measure's percentiles are wanted: a figure nobody asked for is not worked out."""

    GROUPS_AND_TOTALS = enum.auto()
    GROUPS = enum.auto()
    TOTALS = enum.auto()


EVERY_MEASURE = {measure.name: Scope.GROUPS_AND_TOTALS for measure in MEASURES}
