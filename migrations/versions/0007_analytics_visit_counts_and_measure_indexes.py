"""analytics: hourly visit counts, and one partial covering index per measure of the visit facts

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 01:30:00

Both for `stats` over a year of a whole city (resolvers/analytics/stats_sql.py): the counts add up
visit_counts (per office, procedure, local day and hour; kept by the facts' refresh) instead of every
fact, and each measure's percentiles read its own index (the facts that have the measure, with the keys
and the value) without visiting the table, in local-day order.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = ["local_date", "office_id", "service_id", "local_hour"]
# index name -> (measure column, the facts that have it), as models.analytics.MEASURES at this revision
INDEXES = {
    "ix_visit_facts_wait": ("wait_seconds", "wait_seconds IS NOT NULL"),
    "ix_visit_facts_service_time": ("service_seconds", "service_seconds IS NOT NULL"),
    "ix_visit_facts_lead_time": ("lead_seconds", "booked"),
}
# as COUNT_COLUMNS and COUNTS_OF_FACTS in resolvers/analytics/facts.py, at the time of this revision
COUNTS = {
    "booked": "count(*) FILTER (WHERE booked)",
    "cancelled": "count(*) FILTER (WHERE cancelled)",
    "came": "count(*) FILTER (WHERE came)",
    "no_shows": "count(*) FILTER (WHERE no_show)",
    "walk_ins": "count(*) FILTER (WHERE walk_in)",
    "served": "count(*) FILTER (WHERE served)",
    "rating_count": "count(rating)",
    "rating_sum": "coalesce(sum(rating), 0)",
    **{f"rating_{n}": f"count(*) FILTER (WHERE rating = {n})" for n in range(1, 6)},
    "estimate_count": "count(*) FILTER (WHERE estimated_wait_minutes IS NOT NULL AND called_after_seconds IS NOT NULL)",
    "estimate_minutes_sum": "coalesce(sum(estimated_wait_minutes) FILTER (WHERE called_after_seconds IS NOT NULL), 0)",
    "called_after_seconds_sum": (
        "coalesce(sum(called_after_seconds) FILTER (WHERE estimated_wait_minutes IS NOT NULL), 0)"
    ),
    "estimate_error_seconds_sum": "coalesce(sum(abs(called_after_seconds - 60 * estimated_wait_minutes)), 0)",
}


def upgrade() -> None:
    op.create_table(
        "visit_counts",
        sa.Column("office_id", sa.BigInteger(), nullable=False),
        sa.Column("service_id", sa.BigInteger(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("local_hour", sa.SmallInteger(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_visit_counts_office_id_offices"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_visit_counts_service_id_services"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("local_date", "office_id", "service_id", "local_hour", name=op.f("pk_visit_counts")),
    )
    op.create_index("ix_visit_counts_office_local_date", "visit_counts", ["office_id", "local_date"])
    op.execute(f"""
        INSERT INTO visit_counts (office_id, service_id, local_date, local_hour, {", ".join(COUNTS)})
        SELECT office_id, service_id, local_date, local_hour, {", ".join(COUNTS.values())}
        FROM visit_facts GROUP BY office_id, service_id, local_date, local_hour
    """)
    for name, (column, rows) in INDEXES.items():
        op.create_index(name, "visit_facts", [*KEYS, column], postgresql_where=rows)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="visit_facts")
    op.drop_table("visit_counts")
