"""Turning IDs given in an input into rows, or a ValidationFailed naming the field."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import ValidationFailed
from core.validation import id_field, parse_id
from resolvers.catalogue.records import OFFICE_COLUMNS, SERVICE_COLUMNS, OfficeRecord, ServiceRecord


async def find_office(conn: AsyncConnection, office_id: str) -> OfficeRecord | None:
    number = parse_id(office_id)
    if number is None:
        return None
    row = (
        (await conn.execute(text(f"SELECT {OFFICE_COLUMNS} FROM offices o WHERE o.id = :id"), {"id": number}))
        .mappings()
        .first()
    )
    return OfficeRecord.from_row(row) if row else None


async def find_service(conn: AsyncConnection, service_id: str) -> ServiceRecord | None:
    number = parse_id(service_id)
    if number is None:
        return None
    row = (
        (await conn.execute(text(f"SELECT {SERVICE_COLUMNS} FROM services s WHERE s.id = :id"), {"id": number}))
        .mappings()
        .first()
    )
    return ServiceRecord.from_row(row) if row else None


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
    found = {row[0] for row in await conn.execute(text("SELECT id FROM services WHERE id = ANY(:ids)"), {"ids": ids})}
    for index, number in enumerate(ids):
        if number not in found:
            raise ValidationFailed(f"{field}.{index}", "No service has this ID.")
    return ids
