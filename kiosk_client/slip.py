"""What goes on a printed ticket, in the kiosk's language: the same content for the printer and its preview."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kiosk_client.api import TicketInfo
from kiosk_client.arrivals import OfflineTicket
from kiosk_client.config import Language
from kiosk_client.i18n import say


@dataclass(frozen=True, slots=True)
class Slip:
    number: str
    heading: str  # the office
    service: str | None  # unknown for a check-in made offline
    issued: str
    details: tuple[str, ...]  # position, estimate, offline notes: also what the screen shows
    qr_url: str | None  # the ticket's live status page (unknown while offline)
    qr_caption: str

    @property
    def lines(self) -> tuple[str, ...]:
        """Everything printed between the number and the QR code."""
        return (*([self.service] if self.service else []), self.issued, *self.details)


def _issued(language: Language, local_time: datetime) -> str:
    return say(language, "ticket_issued", time=local_time.strftime("%d/%m/%Y %H:%M"))


def ticket_slip(
    ticket: TicketInfo, office_name: str, language: Language, ticket_url: str, local_time: datetime
) -> Slip:
    position = ticket.position
    details = [say(language, "party", n=ticket.party_size)] if ticket.party_size > 1 else []
    if ticket.remote_code is not None:
        # the building is full: this number waits outside and comes in with the code when the ticket page says
        details += [say(language, "wait_outside"), say(language, "come_back_code", code=ticket.remote_code)]
    if position is not None:
        details.append(say(language, "position", n=position - 1) if position > 1 else say(language, "first_in_line"))
    details.append(
        say(language, "wait", m=ticket.estimated_wait_minutes)
        if ticket.estimated_wait_minutes is not None
        else say(language, "wait_unknown")
    )
    return Slip(
        number=ticket.number,
        heading=office_name,
        service=ticket.service_name,
        issued=_issued(language, local_time),
        details=tuple(details),
        qr_url=ticket_url.format(ticket_id=ticket.id),
        qr_caption=say(language, "ticket_follow"),
    )


def offline_slip(ticket: OfflineTicket, office_name: str, language: Language, local_time: datetime) -> Slip:
    # a check-in: the booking's service (and so its letter) is not known offline
    note = say(language, "offline" if ticket.service_name else "offline_check_in")
    return Slip(
        number=ticket.number,
        heading=office_name,
        service=ticket.service_name,
        issued=_issued(language, local_time),
        details=(note, say(language, "watch_screens")),
        qr_url=None,
        qr_caption="",
    )
