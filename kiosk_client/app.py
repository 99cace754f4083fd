"""The kiosk program: a full-screen Textual app over `Arrivals` (online or offline) and the printer."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from textual import events
from textual.app import App

from kiosk_client.api import Refusal, ServiceInfo, TicketInfo
from kiosk_client.arrivals import Arrivals, OfflineTicket, Outcome, OutOfNumbers
from kiosk_client.config import KioskConfig, Language
from kiosk_client.i18n import MESSAGES, say
from kiosk_client.printing import print_slip
from kiosk_client.screens import ResultScreen, StartScreen
from kiosk_client.slip import Slip, offline_slip, ticket_slip

log = logging.getLogger("kiosk_client")

# high contrast (white and yellow on black, WCAG AAA) and large targets for fingers
CSS = """
Screen { background: black; color: white; align: center middle; }
Vertical { height: auto; width: 90%; align: center middle; }
.title { text-style: bold; color: yellow; text-align: center; width: 100%; padding: 1; }
.subtitle { text-align: center; width: 100%; color: white; }
Button { width: 100%; min-height: 3; margin: 1 0; text-style: bold; }
Button.big { height: 5; }
Button:focus { text-style: bold reverse; }
Input { border: tall yellow; height: 5; }
Checkbox { height: 3; margin: 1 0; }
#services { height: auto; max-height: 60vh; }
.number { text-align: center; width: 100%; text-style: bold reverse; color: yellow; padding: 1; }
BigText { color: yellow; text-style: bold; }
.details { text-align: center; width: 100%; padding: 1 0; }
.error { color: yellow; text-style: bold; text-align: center; width: 100%; }
#banner { background: yellow; color: black; text-align: center; width: 100%; }
.actions { height: auto; }
.actions Button { width: 1fr; margin: 1 1; }
"""


class KioskApp(App[None]):
    CSS = CSS
    TITLE = "Turnero"

    def __init__(self, config: KioskConfig, arrivals: Arrivals) -> None:
        super().__init__()
        self.config = config
        self.arrivals = arrivals
        self._language: Language = config.language
        arrivals.api.language = config.language
        self.touched_at = time.monotonic()

    @property
    def language(self) -> Language:
        return self._language

    @language.setter
    def language(self, value: Language) -> None:
        """The kiosk's language, and the server's: its refusals are shown to the citizen as they come."""
        self._language = value
        self.arrivals.api.language = value

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown):
            self.touched_at = time.monotonic()
        await super().on_event(event)

    def t(self, key: str, **values: object) -> str:
        return say(self.language, key, **values)

    async def on_mount(self) -> None:
        await self.maintain()
        await self.push_screen(StartScreen())
        self.set_interval(self.config.replay_every_seconds, self.maintain)

    async def maintain(self) -> None:
        """Replays the spool when something waits, tops up the reserved numbers, learns the office again."""
        try:
            if self.arrivals.spool.has_pending():
                await self.arrivals.replay()
            await self.arrivals.refresh()
        except Exception:  # the kiosk goes on whatever the API says; the log keeps it
            log.exception("maintenance failed")
        self._show_connection()

    def _show_connection(self) -> None:
        if isinstance(self.screen, StartScreen):
            self.screen.show_connection(self.arrivals.online)

    def go_home(self) -> None:
        while len(self.screen_stack) > 2:  # the default screen, then the start screen
            self.pop_screen()
        self._show_connection()

    async def check_in(self, code: str) -> None:
        await self._present(await self.arrivals.check_in(code))

    async def walk_in(self, service: ServiceInfo, priority: str) -> None:
        await self._present(await self.arrivals.walk_in(service, priority))

    def _local(self, at: datetime) -> datetime:
        office = self.arrivals.office
        return at.astimezone(ZoneInfo(office.timezone)) if office else at

    async def _present(self, outcome: Outcome) -> None:
        office_name = self.arrivals.office.name if self.arrivals.office else ""
        slip: Slip | None = None
        if isinstance(outcome, TicketInfo):
            slip = ticket_slip(
                outcome, office_name, self.language, self.config.ticket_url, self._local(outcome.issued_at)
            )
            lines = [*slip.details, self.t("watch_screens")]
            screen = ResultScreen(number=outcome.number, lines=lines, note="…")
        elif isinstance(outcome, OfflineTicket):
            slip = offline_slip(outcome, office_name, self.language, self._local(outcome.arrived_at))
            screen = ResultScreen(number=outcome.number, lines=list(slip.details), note="…")
        elif isinstance(outcome, OutOfNumbers):
            screen = ResultScreen(number=None, lines=[self.t("out_of_numbers")])
        else:
            screen = ResultScreen(number=None, lines=[self.refusal_message(outcome)])
        await self.push_screen(screen)
        if slip is not None:
            self.run_worker(self._print_ticket(screen, slip), exclusive=False)

    async def _print_ticket(self, screen: ResultScreen, slip: Slip) -> None:
        problem = await print_slip(self.config.printer, slip, self.config.printer_seconds)
        text = (
            self.t("printed")
            if problem is None
            else self.t("not_printed", why=self.t(problem.value), number=slip.number)
        )
        if screen.is_attached:
            screen.show_printing(text)

    def refusal_message(self, refusal: Refusal) -> str:
        key = refusal.reason if refusal.reason in MESSAGES else refusal.kind
        if key == "NotFound":
            key = "NOT_FOUND"
        if key not in MESSAGES:
            return f"{self.t('refused')}\n{refusal.message}"
        time = self._local(refusal.at).strftime("%H:%M") if refusal.at else ""
        return self.t(key, time=time, detail=refusal.message)
