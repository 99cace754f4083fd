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
    lines: tuple[str, ...]  # service, time, position, estimate, offline notes
    qr_url: str | None  # the ticket's live status page (unknown while offline)
    qr_caption: str


def ticket_slip(
    ticket: TicketInfo, office_name: str, language: Language, ticket_url: str, local_time: datetime
) -> Slip:
    position = ticket.position
    lines = [ticket.service_name, say(language, "ticket_issued", time=local_time.strftime("%d/%m/%Y %H:%M"))]
    if position is not None:
        lines.append(say(language, "position", n=position - 1) if position > 1 else say(language, "first_in_line"))
    lines.append(
        say(language, "wait", m=ticket.estimated_wait_minutes)
        if ticket.estimated_wait_minutes is not None
        else say(language, "wait_unknown")
    )
    return Slip(
        number=ticket.number,
        heading=office_name,
        lines=tuple(lines),
        qr_url=ticket_url.format(ticket_id=ticket.id),
        qr_caption=say(language, "ticket_follow"),
    )


def offline_slip(ticket: OfflineTicket, office_name: str, language: Language, local_time: datetime) -> Slip:
    lines = [ticket.service_name] if ticket.service_name else []
    lines.append(say(language, "ticket_issued", time=local_time.strftime("%d/%m/%Y %H:%M")))
    lines.append(say(language, "offline"))
    if ticket.service_name is None:
        lines.append(say(language, "offline_check_in"))
    lines.append(say(language, "watch_screens"))
    return Slip(number=ticket.number, heading=office_name, lines=tuple(lines), qr_url=None, qr_caption="")
