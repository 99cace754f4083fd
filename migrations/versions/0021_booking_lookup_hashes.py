"""bookings: a keyed hash of the folded name for the phone line's findBookings; OPERATOR grants for every office

Revision ID: 0021_booking_lookup_hashes
Revises: 0020_service_keywords
Create Date: 2026-12-03 13:30:00

findBookings (resolvers/booking/find.py) matches a caller by document, e-mail, phone or name, each by a keyed hash
of its normalised form: the first three were kept already; the name's (accents, case and spaces folded) is new,
with a partial index over the open bookings the search reads. Open bookings made before this migration get
theirs here, with the installation's secret key (read only when there is such a booking to fill).

An OPERATOR grant may now have no office: the city's call centre answers for every office.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_booking_lookup_hashes"
down_revision: str | None = "0020_service_keywords"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "status IN ('PENDING', 'BOOKED')"
OFFICE_BY_ROLE = (
    "CASE role WHEN 'ADMIN' THEN office_id IS NULL WHEN 'OPERATOR' THEN true ELSE office_id IS NOT NULL END"
)
BATCH = 5000


def _backfill_names() -> None:
    conn = op.get_bind()
    pending = sa.text(f"SELECT id, citizen_name FROM bookings WHERE {ACTIVE} AND name_hash IS NULL ORDER BY id")
    rows = conn.execute(pending).all()
    if not rows:
        return
    # the application's own key and folding, imported only when there is something to fill
    from core.settings import Settings
    from resolvers.booking.identity import name_hash

    secret_key = Settings().secret_key
    fill = sa.text(
        "UPDATE bookings b SET name_hash = v.hash FROM unnest(CAST(:ids AS bigint[]), CAST(:hashes AS bytea[]))"
        " AS v(id, hash) WHERE b.id = v.id"
    )
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        conn.execute(fill, {"ids": [r[0] for r in batch], "hashes": [name_hash(secret_key, r[1]) for r in batch]})


def upgrade() -> None:
    op.drop_constraint(op.f("ck_role_grants_admin_has_no_office"), "role_grants", type_="check")
    op.create_check_constraint(op.f("ck_role_grants_office_by_role"), "role_grants", sa.text(OFFICE_BY_ROLE))
    op.add_column("bookings", sa.Column("name_hash", sa.LargeBinary(length=32), nullable=True))
    op.create_index("ix_bookings_name", "bookings", ["name_hash"], postgresql_where=sa.text(ACTIVE))
    _backfill_names()


def downgrade() -> None:
    op.drop_index("ix_bookings_name", table_name="bookings")
    op.drop_column("bookings", "name_hash")
    op.execute("DELETE FROM role_grants WHERE role = 'OPERATOR' AND office_id IS NULL")
    op.drop_constraint(op.f("ck_role_grants_office_by_role"), "role_grants", type_="check")
    op.create_check_constraint(
        op.f("ck_role_grants_admin_has_no_office"), "role_grants", sa.text("(role = 'ADMIN') = (office_id IS NULL)")
    )
