"""Batch loads of the catalogue: one query per level of a nested list, whatever its length.

Each batch takes its own pooled connection, so loaders that strawberry runs side by side never share one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import BigInteger, Executable, RowMapping, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.dataloader import DataLoader

from models.catalogue import (
    desk_services,
    desks,
    office_services,
    offices,
    opening_hours,
    service_translations,
    services,
)
from resolvers.catalogue.records import (
    OFFICE,
    SERVICE,
    DeskRecord,
    OfficeRecord,
    OpeningHoursRecord,
    ServiceRecord,
)
from resolvers.catalogue.translations import TRANSLATION, ServiceTranslationRecord
from resolvers.rows import record_columns, record_from_row

Record = TypeVar("Record")

# the batch's keys, as one array parameter: one statement whatever the batch's size
_IDS = any_(bindparam("ids", type_=ARRAY(BigInteger)))
_KEYS = any_(bindparam("keys", type_=ARRAY(BigInteger)))


class _ByIdLoader(DataLoader[int, Record | None], Generic[Record]):
    """Loads records by primary key in one query (its parameter `ids`); a missing key loads as None."""

    record_type: ClassVar[type[Any]]
    query: ClassVar[Executable]

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(load_fn=self._load)
        self._engine = engine

    def record(self, row: RowMapping) -> Record:
        return record_from_row(self.record_type, row)  # type: ignore[no-any-return]  # record_type is Record

    async def _load(self, ids: Sequence[int]) -> list[Record | None]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(self.query, {"ids": list(ids)})
            found = {row["id"]: self.record(row) for row in rows.mappings()}
        return [found.get(key) for key in ids]


class OfficesById(_ByIdLoader[OfficeRecord]):
    record_type = OfficeRecord
    query = OFFICE.where(offices.c.id == _IDS)


class ServicesById(_ByIdLoader[ServiceRecord]):
    record_type = ServiceRecord
    query = SERVICE.where(services.c.id == _IDS)


class _GroupedLoader(DataLoader[int, list[Record]], Generic[Record]):
    """Loads every record that belongs to each key (the services of an office, …) in one query (its parameter
    `keys`), which labels each row's key `group_key`."""

    record_type: ClassVar[type[Any]]
    query: ClassVar[Executable]

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(load_fn=self._load)
        self._engine = engine

    def record(self, row: RowMapping) -> Record:
        return record_from_row(self.record_type, row)  # type: ignore[no-any-return]  # record_type is Record

    async def _load(self, keys: Sequence[int]) -> list[list[Record]]:
        grouped: dict[int, list[Record]] = defaultdict(list)
        async with self._engine.connect() as conn:
            rows = await conn.execute(self.query, {"keys": list(keys)})
            for row in rows.mappings():
                grouped[row["group_key"]].append(self.record(row))
        return [grouped.get(key, []) for key in keys]


class ServicesByOffice(_GroupedLoader[ServiceRecord]):
    record_type = ServiceRecord
    query = (
        SERVICE.add_columns(office_services.c.office_id.label("group_key"))
        .join(office_services, office_services.c.service_id == services.c.id)
        .where(office_services.c.office_id == _KEYS)
        .order_by(services.c.name, services.c.id)
    )


class OfficesByService(_GroupedLoader[OfficeRecord]):
    record_type = OfficeRecord
    query = (
        OFFICE.add_columns(office_services.c.service_id.label("group_key"))
        .join(office_services, office_services.c.office_id == offices.c.id)
        .where(office_services.c.service_id == _KEYS)
        .order_by(offices.c.name, offices.c.id)
    )


class DesksByOffice(_GroupedLoader[DeskRecord]):
    record_type = DeskRecord
    query = (
        select(desks.c.office_id.label("group_key"), *record_columns(DeskRecord, desks))
        .where(desks.c.office_id == _KEYS)
        .order_by(desks.c.name, desks.c.id)
    )


class ServicesByDesk(_GroupedLoader[ServiceRecord]):
    record_type = ServiceRecord
    query = (
        SERVICE.add_columns(desk_services.c.desk_id.label("group_key"))
        .join(desk_services, desk_services.c.service_id == services.c.id)
        .where(desk_services.c.desk_id == _KEYS)
        .order_by(services.c.name, services.c.id)
    )


class OpeningHoursByOffice(_GroupedLoader[OpeningHoursRecord]):
    record_type = OpeningHoursRecord
    query = (
        select(opening_hours.c.office_id.label("group_key"), *record_columns(OpeningHoursRecord, opening_hours))
        .where(opening_hours.c.office_id == _KEYS)
        .order_by(opening_hours.c.weekday, opening_hours.c.opens)
    )


class TranslationsByService(_GroupedLoader[ServiceTranslationRecord]):
    """Every language a service is written in besides the default: the request picks one (its Accept-Language)."""

    record_type = ServiceTranslationRecord
    query = (
        TRANSLATION.add_columns(service_translations.c.service_id.label("group_key"))
        .where(service_translations.c.service_id == _KEYS)
        .order_by(service_translations.c.locale)
    )
