"""services: the words people use for a procedure (keywords), and a short folded text for tolerant search

Revision ID: 0020_service_keywords
Revises: 0019
Create Date: 2026-12-03 13:40:00

An admin adds keywords per procedure ("partida" for a birth certificate, "carnet de conducir" for a driving
licence). `search_text` (every word of name, category, description and keywords, folded) keeps answering
"is this word there"; `search_keys` (name, keywords and category, folded) is what spelling variants are
measured against with pg_trgm's word similarity: short, so a public search costs little. The folding is
core/validation.fold's (lower case, accents dropped), repeated here so the migration stays what it was.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020_service_keywords"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def upgrade() -> None:
    # trusted since PostgreSQL 13: the database's owner may create it; word_similarity() is the point
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.add_column(
        "services",
        sa.Column("keywords", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
    )
    op.add_column("services", sa.Column("search_keys", sa.Text(), server_default="", nullable=False))
    services = sa.table(
        "services", sa.column("id", sa.BigInteger), sa.column("name"), sa.column("category"), sa.column("search_keys")
    )
    conn = op.get_bind()
    for row in conn.execute(sa.select(services.c.id, services.c.name, services.c.category)).all():
        # resolvers/catalogue/services.search_keys: each folded entry between bars
        keys = "| " + " | ".join(_fold(entry) for entry in (row.name, row.category) if entry) + " |"
        conn.execute(services.update().where(services.c.id == row.id).values(search_keys=keys))
    op.alter_column("services", "search_keys", server_default=None)


def downgrade() -> None:
    op.drop_column("services", "search_keys")
    op.drop_column("services", "keywords")
