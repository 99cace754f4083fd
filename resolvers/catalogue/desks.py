"""Desks: upserted by (office, name) by the office's managers; the services they serve."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from core import validation
from core.errors import ValidationFailed
from core.inputs import Id
from models.accounts import Role
from models.catalogue import desk_services, desks, office_services
from resolvers.accounts.viewer import Viewer
from resolvers.catalogue.lookups import require_office, require_services
from resolvers.catalogue.records import DeskRecord
from resolvers.rows import record_columns, record_from_row


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
    upsert = insert(desks).values(office_id=office.id, name=name)
    upsert = upsert.on_conflict_do_update(
        index_elements=[desks.c.office_id, desks.c.name], set_={"name": upsert.excluded.name}
    )
    row = (await conn.execute(upsert.returning(*record_columns(DeskRecord, desks)))).mappings().one()
    desk = record_from_row(DeskRecord, row)
    await conn.execute(
        delete(desk_services).where(desk_services.c.desk_id == desk.id, desk_services.c.service_id.not_in(service_ids))
    )
    await conn.execute(
        insert(desk_services)
        .values([{"desk_id": desk.id, "service_id": service_id} for service_id in service_ids])
        .on_conflict_do_nothing()
    )
    await offer_services(conn, office.id, service_ids)
    return desk


async def offer_services(conn: AsyncConnection, office_id: int, service_ids: list[int]) -> None:
    """An office offers a service once it has an agenda or a desk for it."""
    await conn.execute(
        insert(office_services)
        .values([{"office_id": office_id, "service_id": service_id} for service_id in service_ids])
        .on_conflict_do_nothing()
    )
