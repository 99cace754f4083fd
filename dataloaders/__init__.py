"""All the request's loaders, made fresh per request (per subscription event) so nothing is cached longer."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from dataloaders.booking import EventsByBooking, HoldKindsBySlot, SlotsById
from dataloaders.catalogue import (
    DesksByOffice,
    OfficesById,
    OfficesByService,
    OpeningHoursByOffice,
    ServicesByDesk,
    ServicesById,
    ServicesByOffice,
    TranslationsByService,
)
from dataloaders.queue import BookingsById, CurrentTicketByDesk, DesksById, TicketByBooking, WaitsByTicket


@dataclass(frozen=True, slots=True)
class Loaders:
    offices_by_id: OfficesById
    services_by_id: ServicesById
    services_by_office: ServicesByOffice
    offices_by_service: OfficesByService
    desks_by_office: DesksByOffice
    services_by_desk: ServicesByDesk
    opening_hours_by_office: OpeningHoursByOffice
    translations_by_service: TranslationsByService
    slots_by_id: SlotsById
    hold_kinds_by_slot: HoldKindsBySlot
    events_by_booking: EventsByBooking
    desks_by_id: DesksById
    bookings_by_id: BookingsById
    current_ticket_by_desk: CurrentTicketByDesk
    ticket_by_booking: TicketByBooking
    waits_by_ticket: WaitsByTicket

    @classmethod
    def create(cls, engine: AsyncEngine) -> Loaders:
        return cls(
            offices_by_id=OfficesById(engine),
            services_by_id=ServicesById(engine),
            services_by_office=ServicesByOffice(engine),
            offices_by_service=OfficesByService(engine),
            desks_by_office=DesksByOffice(engine),
            services_by_desk=ServicesByDesk(engine),
            opening_hours_by_office=OpeningHoursByOffice(engine),
            translations_by_service=TranslationsByService(engine),
            slots_by_id=SlotsById(engine),
            hold_kinds_by_slot=HoldKindsBySlot(engine),
            events_by_booking=EventsByBooking(engine),
            desks_by_id=DesksById(engine),
            bookings_by_id=BookingsById(engine),
            current_ticket_by_desk=CurrentTicketByDesk(engine),
            ticket_by_booking=TicketByBooking(engine),
            waits_by_ticket=WaitsByTicket(engine),
        )
