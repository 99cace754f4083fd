"""Batch loads of the catalogue: one query per level of a nested list, whatever its length.

Each batch takes its own pooled connection, so loaders that strawberry runs side by side never share one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Generic, TypeVar

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.dataloader import DataLoader

from resolvers.catalogue.records import (
    OFFICE_COLUMNS,
    SERVICE_COLUMNS,
    DeskRecord,
    OfficeRecord,
    OpeningHoursRecord,
    ServiceRecord,
)

Record = TypeVar("Record")


class _ByIdLoader(DataLoader[int, Record | None], Generic[Record]):
    """Loads records by primary key in one query; a missing key loads as None."""

    query: str = ""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(load_fn=self._load)
        self._engine = engine

    def record(self, row: RowMapping) -> Record:
        raise NotImplementedError

    async def _load(self, ids: Sequence[int]) -> list[Record | None]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(text(self.query), {"ids": list(ids)})
            found = {row["id"]: self.record(row) for row in rows.mappings()}
        return [found.get(key) for key in ids]


class OfficesById(_ByIdLoader[OfficeRecord]):
    query = f"SELECT {OFFICE_COLUMNS} FROM offices o WHERE o.id = ANY(:ids)"

    def record(self, row: RowMapping) -> OfficeRecord:
        return OfficeRecord.from_row(row)


class ServicesById(_ByIdLoader[ServiceRecord]):
    query = f"SELECT {SERVICE_COLUMNS} FROM services s WHERE s.id = ANY(:ids)"

    def record(self, row: RowMapping) -> ServiceRecord:
        return ServiceRecord.from_row(row)


class _GroupedLoader(DataLoader[int, list[Record]], Generic[Record]):
    """Loads every record that belongs to each key (the services of an office, …) in one query."""

    query: str = ""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(load_fn=self._load)
        self._engine = engine

    def record(self, row: RowMapping) -> Record:
        raise NotImplementedError

    async def _load(self, keys: Sequence[int]) -> list[list[Record]]:
        grouped: dict[int, list[Record]] = defaultdict(list)
        async with self._engine.connect() as conn:
            rows = await conn.execute(text(self.query), {"keys": list(keys)})
            for row in rows.mappings():
                grouped[row["group_key"]].append(self.record(row))
        return [grouped.get(key, []) for key in keys]


class ServicesByOffice(_GroupedLoader[ServiceRecord]):
    query = f"""SELECT os.office_id AS group_key, {SERVICE_COLUMNS}
                FROM office_services os JOIN services s ON s.id = os.service_id
                WHERE os.office_id = ANY(:keys) ORDER BY s.name, s.id"""

    def record(self, row: RowMapping) -> ServiceRecord:
        return ServiceRecord.from_row(row)


class OfficesByService(_GroupedLoader[OfficeRecord]):
    query = f"""SELECT os.service_id AS group_key, {OFFICE_COLUMNS}
                FROM office_services os JOIN offices o ON o.id = os.office_id
                WHERE os.service_id = ANY(:keys) ORDER BY o.name, o.id"""

    def record(self, row: RowMapping) -> OfficeRecord:
        return OfficeRecord.from_row(row)


class DesksByOffice(_GroupedLoader[DeskRecord]):
    query = """SELECT d.office_id AS group_key, d.id, d.office_id, d.name
               FROM desks d WHERE d.office_id = ANY(:keys) ORDER BY d.name, d.id"""

    def record(self, row: RowMapping) -> DeskRecord:
        return DeskRecord.from_row(row)


class ServicesByDesk(_GroupedLoader[ServiceRecord]):
    query = f"""SELECT ds.desk_id AS group_key, {SERVICE_COLUMNS}
                FROM desk_services ds JOIN services s ON s.id = ds.service_id
                WHERE ds.desk_id = ANY(:keys) ORDER BY s.name, s.id"""

    def record(self, row: RowMapping) -> ServiceRecord:
        return ServiceRecord.from_row(row)


class OpeningHoursByOffice(_GroupedLoader[OpeningHoursRecord]):
    query = """SELECT h.office_id AS group_key, h.office_id, h.weekday, h.opens, h.closes
               FROM opening_hours h WHERE h.office_id = ANY(:keys) ORDER BY h.weekday, h.opens"""

    def record(self, row: RowMapping) -> OpeningHoursRecord:
        return OpeningHoursRecord(row["office_id"], row["weekday"], row["opens"], row["closes"])
