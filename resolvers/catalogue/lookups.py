"""Turning IDs given in an input into rows, or a ValidationFailed naming the field."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import ValidationFailed
from core.validation import id_field, parse_id
from models.catalogue import offices, services
from resolvers.catalogue.records import OFFICE, SERVICE, OfficeRecord, ServiceRecord
from resolvers.rows import record_from_row
from resolvers.sql import any_id


async def find_office(conn: AsyncConnection, office_id: str) -> OfficeRecord | None:
    number = parse_id(office_id)
    if number is None:
        return None
    row = (await conn.execute(OFFICE.where(offices.c.id == number))).mappings().first()
    return record_from_row(OfficeRecord, row) if row else None


async def find_service(conn: AsyncConnection, service_id: str) -> ServiceRecord | None:
    number = parse_id(service_id)
    if number is None:
        return None
    row = (await conn.execute(SERVICE.where(services.c.id == number))).mappings().first()
    return record_from_row(ServiceRecord, row) if row else None


async def require_office(conn: AsyncConnection, field: str, office_id: str) -> OfficeRecord:
    office = await find_office(conn, office_id)
    if office is None:
        raise ValidationFailed(field, "No office has this ID.")
    return office


async def require_service(conn: AsyncConnection, field: str, service_id: str) -> ServiceRecord:
    service = await find_service(conn, service_id)
    if service is None:
        raise ValidationFailed(field, "No service has this ID.")
    return service


async def require_services(conn: AsyncConnection, field: str, service_ids: list[str]) -> list[int]:
    ids = list(dict.fromkeys(id_field(f"{field}.{i}", value) for i, value in enumerate(service_ids)))
    found = set((await conn.execute(select(services.c.id).where(services.c.id == any_id(ids)))).scalars())
    for index, number in enumerate(ids):
        if number not in found:
            raise ValidationFailed(f"{field}.{index}", "No service has this ID.")
    return ids
