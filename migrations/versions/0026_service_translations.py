"""service_translations: a procedure's name, description, category, documents and keywords in other languages

Revision ID: 0026_service_translations
Revises: 0025_audit_trail
Create Date: 2026-12-03 18:00:00

The services row keeps the city's default language (TURNERO_DEFAULT_LANGUAGE); each other language a procedure
is written in is one row here, keyed by (service, locale). The API serves the request's language field by field,
falling back to the row's own. `services.search_text` and `search_keys` already fold every language's words in
(resolvers/catalogue/services.py), so search needs no column of its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0026_service_translations"
down_revision: str | None = "0025_audit_trail"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_translations",
        sa.Column("service_id", sa.BigInteger(), nullable=False),
        sa.Column("locale", sa.String(length=35), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("required_documents", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("keywords", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_service_translations_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("service_id", "locale", name=op.f("pk_service_translations")),
    )


def downgrade() -> None:
    op.drop_table("service_translations")
