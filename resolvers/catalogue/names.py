"""Every office's and service's name by id: the labels of exports that list many of them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.catalogue import offices, services


@dataclass(frozen=True, slots=True)
class CatalogueNames:
    offices: dict[int, str]
    services: dict[int, str]


async def catalogue_names(conn: AsyncConnection) -> CatalogueNames:
    office_names = {row.id: row.name for row in await conn.execute(select(offices.c.id, offices.c.name))}
    service_names = {row.id: row.name for row in await conn.execute(select(services.c.id, services.c.name))}
    return CatalogueNames(office_names, service_names)
