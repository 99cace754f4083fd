from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

import strawberry

from core.validation import fold
from models.catalogue import ChallengePolicy, ReleasePolicy
from realtime.sharing import READS_AUDIENCE, READS_NO_VIEWER
from resolvers.catalogue.records import DeskRecord, OfficeRecord, OpeningHoursRecord, ServiceRecord
from resolvers.catalogue.services import MAX_DOCUMENTS, MAX_KEYWORDS
from resolvers.catalogue.translations import (
    MAX_TRANSLATIONS,
    ServiceTranslationRecord,
    chosen,
    same_language,
)
from resolvers.queue.access import may_watch
from schema.bounds import MAX_DESKS_PER_OFFICE, MAX_OFFICES, MAX_OPENING_INTERVALS, MAX_SERVICES, ListBound
from schema.context import Info

strawberry.enum(ChallengePolicy, description="When anonymous bookings of a service need a solved challenge.")
strawberry.enum(
    ReleasePolicy,
    description="How newly released seats are given out: FIRST_COME to the first requests; DRAW by a seeded draw "
    "among the entries of the drawMinutes after the release (enterDraw), the rest first come after it.",
)

if TYPE_CHECKING:
    from schema.queue.types import Ticket


@strawberry.type
class OpeningHours:
    weekday: int
    opens: str
    closes: str

    @classmethod
    def from_record(cls, record: OpeningHoursRecord) -> OpeningHours:
        return cls(
            weekday=record.weekday,
            opens=record.opens.strftime("%H:%M"),
            closes=record.closes.strftime("%H:%M"),
        )


@strawberry.type
class Office:
    id: strawberry.ID
    slug: str
    name: str
    address: str | None
    timezone: str
    latitude: float | None
    longitude: float | None
    checkin_opens_minutes: int = strawberry.field(description="Check-in opens this many minutes before the slot.")
    checkin_closes_minutes: int = strawberry.field(description="Check-in closes this many minutes after the slot.")
    priority_head_start_minutes: int = strawberry.field(
        description="How much earlier than their arrival PRIORITY tickets are due."
    )
    max_occupancy: int | None = strawberry.field(description="How many people the premises may hold at once.")
    pk: strawberry.Private[int]
    remote_queue: bool = strawberry.field(
        default=False, description="Citizens may join the line from home (joinQueue) and wait outside."
    )
    remote_head_in_places: int = strawberry.field(
        default=3, description="A remote ticket is told to come in when it is this many places from the front."
    )

    @classmethod
    def from_record(cls, record: OfficeRecord) -> Office:
        return cls(
            id=strawberry.ID(str(record.id)),
            slug=record.slug,
            name=record.name,
            address=record.address,
            timezone=record.timezone,
            latitude=record.latitude,
            longitude=record.longitude,
            checkin_opens_minutes=record.checkin_opens_minutes,
            checkin_closes_minutes=record.checkin_closes_minutes,
            priority_head_start_minutes=record.priority_head_start_minutes,
            max_occupancy=record.max_occupancy,
            pk=record.id,
            remote_queue=record.remote_queue,
            remote_head_in_places=record.remote_head_in_places,
        )

    @strawberry.field(metadata=READS_NO_VIEWER, extensions=[ListBound(MAX_OPENING_INTERVALS)])
    async def opening_hours(self, info: Info) -> list[OpeningHours]:
        return [OpeningHours.from_record(r) for r in await info.context.loaders.opening_hours_by_office.load(self.pk)]

    @strawberry.field(metadata=READS_NO_VIEWER, extensions=[ListBound(MAX_SERVICES)])
    async def services(self, info: Info) -> list[Service]:
        return await by_shown_name(info, await info.context.loaders.services_by_office.load(self.pk))

    @strawberry.field(metadata=READS_NO_VIEWER, extensions=[ListBound(MAX_DESKS_PER_OFFICE)])
    async def desks(self, info: Info) -> list[Desk]:
        return [Desk.from_record(r) for r in await info.context.loaders.desks_by_office.load(self.pk)]


@strawberry.type(description="A procedure in one more language than the city's default (ServiceInput.translations).")
class ServiceTranslation:
    locale: str = strawberry.field(description='A BCP 47 tag: "en", "pt", "en-GB".')
    name: str
    description: str | None
    category: str | None
    required_documents: list[str] = strawberry.field(metadata=READS_NO_VIEWER, extensions=[ListBound(MAX_DOCUMENTS)])
    keywords: list[str] = strawberry.field(metadata=READS_NO_VIEWER, extensions=[ListBound(MAX_KEYWORDS)])

    @classmethod
    def from_record(cls, record: ServiceTranslationRecord) -> ServiceTranslation:
        return cls(
            locale=record.locale,
            name=record.name,
            description=record.description,
            category=record.category,
            required_documents=list(record.required_documents),
            keywords=list(record.keywords),
        )


_IN_LANGUAGE = " In the request's language (Accept-Language) where the procedure is written in it, else the city's."


@strawberry.type
class Service:
    id: strawberry.ID
    slug: str
    duration_minutes: int
    walk_in_allowed: bool
    booking_window_days: int = strawberry.field(description="How many days ahead citizens may book.")
    ticket_prefix: str = strawberry.field(description="The letters that start this service's ticket numbers.")
    max_active_bookings_per_citizen: int
    challenge_policy: ChallengePolicy = strawberry.field(
        description="NEVER; ADAPTIVE: an anonymous booking beyond its client address's free ones a day needs a solved "
        "challenge; ALWAYS: every anonymous booking does. Staff, devices and partners never do."
    )
    confirmation_required: bool = strawberry.field(
        description="Citizens' bookings stay PENDING until confirmed from the link mailed to them "
        "(`confirmBooking`) within the confirmation time; unconfirmed ones give their seat back."
    )
    max_party_size: int = strawberry.field(
        description="How many people one booking may bring: the citizen and up to this many minus one `companions`."
    )
    release_policy: ReleasePolicy = strawberry.field(
        description="FIRST_COME, or DRAW: newly released seats go by a draw among those who enterDraw "
        "during the drawMinutes after the release (releaseCalendar says when)."
    )
    draw_minutes: int = strawberry.field(description="Under DRAW: how long entries are taken after a release.")
    pk: strawberry.Private[int]
    # the texts in the city's default language; the request may be served a translation (_translated)
    record: strawberry.Private[ServiceRecord]

    @classmethod
    def from_record(cls, record: ServiceRecord) -> Service:
        return cls(
            id=strawberry.ID(str(record.id)),
            slug=record.slug,
            duration_minutes=record.duration_minutes,
            walk_in_allowed=record.walk_in_allowed,
            booking_window_days=record.booking_window_days,
            ticket_prefix=record.ticket_prefix,
            max_active_bookings_per_citizen=record.max_active_bookings_per_citizen,
            challenge_policy=record.challenge_policy,
            confirmation_required=record.confirmation_required,
            max_party_size=record.max_party_size,
            release_policy=record.release_policy,
            draw_minutes=record.draw_minutes,
            pk=record.id,
            record=record,
        )

    async def _translated(self, info: Info) -> ServiceTranslationRecord | None:
        """The translation the request reads, if any: none asked for, or the default language first, reads no
        table; else every translated service of the response in one query (dataloader)."""
        context = info.context
        default = context.state.settings.default_language
        if not context.languages or same_language(context.languages[0], default):
            return None
        return chosen(await context.loaders.translations_by_service.load(self.pk), context.languages, default)

    async def shown_name(self, info: Info) -> str:
        translation = await self._translated(info)
        return translation.name if translation else self.record.name

    @strawberry.field(metadata=READS_NO_VIEWER, description="The procedure's name." + _IN_LANGUAGE)
    async def name(self, info: Info) -> str:
        return await self.shown_name(info)

    @strawberry.field(metadata=READS_NO_VIEWER, description="What the procedure is." + _IN_LANGUAGE)
    async def description(self, info: Info) -> str | None:
        translation = await self._translated(info)
        return (translation and translation.description) or self.record.description

    @strawberry.field(metadata=READS_NO_VIEWER, description="The group it is listed under." + _IN_LANGUAGE)
    async def category(self, info: Info) -> str | None:
        translation = await self._translated(info)
        return (translation and translation.category) or self.record.category

    @strawberry.field(
        metadata=READS_NO_VIEWER,
        extensions=[ListBound(MAX_DOCUMENTS)],
        description="What to bring." + _IN_LANGUAGE,
    )
    async def required_documents(self, info: Info) -> list[str]:
        translation = await self._translated(info)
        return list((translation and translation.required_documents) or self.record.required_documents)

    @strawberry.field(
        metadata=READS_NO_VIEWER,
        extensions=[ListBound(MAX_KEYWORDS)],
        description="Other words people use for this procedure (synonyms, spellings, other languages): "
        "services(search) finds them like its name." + _IN_LANGUAGE,
    )
    async def keywords(self, info: Info) -> list[str]:
        translation = await self._translated(info)
        return list((translation and translation.keywords) or self.record.keywords)

    @strawberry.field(
        metadata=READS_NO_VIEWER,
        extensions=[ListBound(MAX_TRANSLATIONS)],
        description="Every other language the procedure is written in, as given to upsertService: what an admin "
        "edits. The fields above are the request's language.",
    )
    async def translations(self, info: Info) -> list[ServiceTranslation]:
        records = await info.context.loaders.translations_by_service.load(self.pk)
        return [ServiceTranslation.from_record(r) for r in records]

    @strawberry.field(metadata=READS_NO_VIEWER, extensions=[ListBound(MAX_OFFICES)])
    async def offices(self, info: Info) -> list[Office]:
        return [Office.from_record(r) for r in await info.context.loaders.offices_by_service.load(self.pk)]


@strawberry.type
class Desk:
    id: strawberry.ID
    name: str
    pk: strawberry.Private[int]
    office_pk: strawberry.Private[int]

    @classmethod
    def from_record(cls, record: DeskRecord) -> Desk:
        return cls(id=strawberry.ID(str(record.id)), name=record.name, pk=record.id, office_pk=record.office_id)

    @strawberry.field(metadata=READS_NO_VIEWER)
    async def office(self, info: Info) -> Office:
        return await load_office(info, self.office_pk)

    @strawberry.field(metadata=READS_NO_VIEWER, extensions=[ListBound(MAX_SERVICES)])
    async def services(self, info: Info) -> list[Service]:
        return [Service.from_record(r) for r in await info.context.loaders.services_by_desk.load(self.pk)]

    @strawberry.field(
        metadata=READS_NO_VIEWER,
        extensions=[ListBound(MAX_SERVICES)],
        description="The IDs of the procedures this desk serves: what `services` lists, as scalars (cheap to ask "
        "for every desk of an office at once: the console's walk-in form offers the clerk's own first).",
    )
    async def service_ids(self, info: Info) -> list[strawberry.ID]:
        return [strawberry.ID(str(r.id)) for r in await info.context.loaders.services_by_desk.load(self.pk)]

    @strawberry.field(
        metadata=READS_AUDIENCE,
        description="The ticket called to or served at this desk now: for the office's staff and devices, "
        "as the board.",
    )
    async def current_ticket(self, info: Info) -> Annotated[Ticket, strawberry.lazy("schema.queue.types")] | None:
        from schema.queue.types import Ticket

        # a ticket's ID lets its holder follow it: strangers must not collect them from the desks
        if not may_watch(info.context.viewer, self.office_pk):
            return None
        record = await info.context.loaders.current_ticket_by_desk.load(self.pk)
        return Ticket.from_record(record) if record else None


async def by_shown_name(info: Info, records: list[ServiceRecord]) -> list[Service]:
    """Services in the order of the names the caller reads: the database orders by the default language's; in
    another, by the translated names (their translations loaded in one batch, which the fields then reuse)."""
    found = [Service.from_record(record) for record in records]
    names = await asyncio.gather(*(service.shown_name(info) for service in found))
    if names == [record.name for record in records]:
        return found
    # case and accents aside, as people look a name up; the id keeps equal names in a stable order
    ordered = sorted(zip(names, found, strict=True), key=lambda pair: (fold(pair[0]), pair[1].pk))
    return [service for _, service in ordered]


async def load_office(info: Info, office_id: int) -> Office:
    record = await info.context.loaders.offices_by_id.load(office_id)
    assert record is not None, "foreign keys keep every office reference valid"
    return Office.from_record(record)


async def load_service(info: Info, service_id: int) -> Service:
    record = await info.context.loaders.services_by_id.load(service_id)
    assert record is not None, "foreign keys keep every service reference valid"
    return Service.from_record(record)
