"""Desks: upserted by (office, name) by the office's managers; the services they serve."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core import validation
from core.errors import ValidationFailed
from core.inputs import Id
from models.accounts import Role
from resolvers.accounts.viewer import Viewer
from resolvers.catalogue.lookups import require_office, require_services
from resolvers.catalogue.records import DeskRecord


@dataclass(frozen=True, slots=True)
class DeskInput:
    office_id: Id
    name: str
    service_ids: list[Id]


async def upsert_desk(conn: AsyncConnection, viewer: Viewer, data: DeskInput) -> DeskRecord:
    office = await require_office(conn, "officeId", data.office_id)
    viewer.require_role(office.id, Role.MANAGER)
    name = validation.text_field("name", data.name, max_length=100)
    if not data.service_ids:
        raise ValidationFailed("serviceIds", "A desk serves at least one service.")
    service_ids = await require_services(conn, "serviceIds", data.service_ids)
    row = (
        (
            await conn.execute(
                text("""INSERT INTO desks (office_id, name) VALUES (:office_id, :name)
                ON CONFLICT (office_id, name) DO UPDATE SET name = EXCLUDED.name
                RETURNING id, office_id, name"""),
                {"office_id": office.id, "name": name},
            )
        )
        .mappings()
        .one()
    )
    desk = DeskRecord.from_row(row)
    await conn.execute(
        text("DELETE FROM desk_services WHERE desk_id = :desk_id AND NOT service_id = ANY(:ids)"),
        {"desk_id": desk.id, "ids": service_ids},
    )
    await conn.execute(
        text("""INSERT INTO desk_services (desk_id, service_id) SELECT :desk_id, unnest(CAST(:ids AS bigint[]))
                ON CONFLICT DO NOTHING"""),
        {"desk_id": desk.id, "ids": service_ids},
    )
    await offer_services(conn, office.id, service_ids)
    return desk


async def offer_services(conn: AsyncConnection, office_id: int, service_ids: list[int]) -> None:
    """An office offers a service once it has an agenda or a desk for it."""
    await conn.execute(
        text("""INSERT INTO office_services (office_id, service_id)
                SELECT :office_id, unnest(CAST(:ids AS bigint[])) ON CONFLICT DO NOTHING"""),
        {"office_id": office_id, "ids": service_ids},
    )
