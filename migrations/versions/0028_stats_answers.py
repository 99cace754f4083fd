"""stats_answers: whole `stats` answers over closed days, kept ahead by the worker (issue 18 part 5)

Revision ID: 0028_stats_answers
Revises: 0027_book_in_one_call
Create Date: 2026-12-04 16:00:00

A year of a city takes ~1 s to add up from the facts; an answer over days whose facts no longer change is kept
here and served as is until a facts refresh changes a fact of one of its days (which deletes it, in the same
transaction). stats_facts_generation counts those refreshes, so that an answer computed across one is not kept.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0028_stats_answers"
down_revision: str | None = "0027_book_in_one_call"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stats_answers",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column("scopes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("rows", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_stats_answers")),
    )
    op.create_index("ix_stats_answers_days", "stats_answers", ["date_from", "date_to"], unique=False)
    op.create_table(
        "stats_facts_generation",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("generation", sa.BigInteger(), server_default="0", nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_stats_facts_generation_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_facts_generation")),
    )
    op.execute("INSERT INTO stats_facts_generation (id, generation) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("stats_facts_generation")
    op.drop_index("ix_stats_answers_days", table_name="stats_answers")
    op.drop_table("stats_answers")
