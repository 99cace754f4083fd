"""Every office's and service's name by id: the labels of exports that list many of them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True, slots=True)
class CatalogueNames:
    offices: dict[int, str]
    services: dict[int, str]


async def catalogue_names(conn: AsyncConnection) -> CatalogueNames:
    offices = {row.id: row.name for row in await conn.execute(text("SELECT id, name FROM offices"))}
    services = {row.id: row.name for row in await conn.execute(text("SELECT id, name FROM services"))}
    return CatalogueNames(offices, services)
