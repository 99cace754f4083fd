"""The kiosk's screens: start, booking code, walk-in service, and the result. Large buttons for touch, every
action also by keyboard (Tab/Enter, Escape goes back); any screen but the start returns there when idle."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, cast

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Input, Static

from kiosk_client.api import ServiceInfo
from kiosk_client.bigtext import BigText

if TYPE_CHECKING:
    from kiosk_client.app import KioskApp


class TickBox(Checkbox):
    """A checkbox whose box stays empty until ticked. Textual's draws an "X" in both states, only dimmer when
    off: on the kiosk's black screen (and on terminals without dimming) a citizen reads it as ticked."""

    TICK = "✓"

    @property  # Textual reads the inner character when it renders the box: an empty one unless ticked
    def BUTTON_INNER(self) -> str:  # type: ignore[override]
        return self.TICK if self.value else " "


class KioskScreen(Screen[None]):
    BINDINGS = [("escape", "home", "Back")]  # noqa: RUF012 (Textual's own declaration style)

    @property
    def kiosk(self) -> KioskApp:
        # only KioskApp pushes these screens; app.py imports this module, so no import back at run time
        return cast("KioskApp", self.app)

    def t(self, key: str, **values: object) -> str:
        return self.kiosk.t(key, **values)

    def action_home(self) -> None:
        self.kiosk.go_home()


class IdleScreen(KioskScreen):
    """A screen that gives the kiosk back to the next citizen when nobody touches it for a while (every key
    and every touch reaches the app first, which notes the time: KioskApp.on_event)."""

    def on_mount(self) -> None:
        self._shown_at = time.monotonic()
        self.set_interval(min(0.25, self.kiosk.config.idle_seconds / 4), self._check_idle)

    def _check_idle(self) -> None:
        last = max(self._shown_at, self.kiosk.touched_at)
        if self.is_current and time.monotonic() - last > self.kiosk.config.idle_seconds:
            self.kiosk.go_home()


class StartScreen(KioskScreen):
    AUTO_FOCUS = "#appointment"

    def compose(self) -> ComposeResult:
        office = self.kiosk.arrivals.office
        with Vertical(id="start"):
            yield Static(self.t("welcome"), classes="title")
            yield Static(office.name if office else "", classes="subtitle")
            yield Button(self.t("have_appointment"), id="appointment", classes="big")
            yield Button(self.t("no_appointment"), id="walk-in", classes="big")
            yield Button(self.t("other_language"), id="language")
            yield Static(self.t("offline_banner") if not self.kiosk.arrivals.online else "", id="banner")

    @on(Button.Pressed, "#appointment")
    def appointment(self) -> None:
        self.app.push_screen(CodeScreen())

    @on(Button.Pressed, "#walk-in")
    def walk_in(self) -> None:
        self.app.push_screen(ServiceScreen())

    @on(Button.Pressed, "#language")
    async def language(self) -> None:
        self.kiosk.language = "en" if self.kiosk.language == "es" else "es"
        await self.recompose()

    def show_connection(self, online: bool) -> None:
        self.query_one("#banner", Static).update("" if online else self.t("offline_banner"))


class CodeScreen(IdleScreen):
    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.t("enter_code"), classes="title")
            yield Input(placeholder=self.t("code_placeholder"), id="code", max_length=40)
            yield Static("", id="error", classes="error")
            with Horizontal(classes="actions"):
                yield Button(self.t("back"), id="back")
                yield Button(self.t("confirm"), id="confirm", classes="big", variant="success")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#code", Input).focus()

    @on(Button.Pressed, "#back")
    def back(self) -> None:
        self.kiosk.go_home()

    @on(Input.Submitted, "#code")  # a scanner types the code and Enter
    @on(Button.Pressed, "#confirm")
    async def confirm(self) -> None:
        code = self.query_one("#code", Input).value.strip()
        if not code:
            self.query_one("#error", Static).update(self.t("empty_code"))
            return
        await self.kiosk.check_in(code)


class ServiceScreen(IdleScreen):
    def compose(self) -> ComposeResult:
        office = self.kiosk.arrivals.office
        services = office.walk_in_services if office else ()
        with Vertical():
            yield Static(self.t("choose_service"), classes="title")
            yield Input(placeholder=self.t("search"), id="search")
            yield TickBox(self.t("priority"), id="priority")
            with VerticalScroll(id="services", can_focus=False):  # Tab goes from service to service
                for service in services:
                    yield Button(service.name, id=f"service-{service.id}", classes="big service")
            yield Static("" if services else self.t("no_services"), id="empty", classes="error")
            yield Button(self.t("back"), id="back")

    @on(Input.Changed, "#search")
    def search(self, event: Input.Changed) -> None:
        wanted = event.value.strip().casefold()
        shown = 0
        for button in self.query(".service").results(Button):
            match = wanted in str(button.label).casefold()
            button.display = match
            shown += match
        self.query_one("#empty", Static).update("" if shown else self.t("no_match"))

    @on(Button.Pressed, "#back")
    def back(self) -> None:
        self.kiosk.go_home()

    @on(Button.Pressed, ".service")
    async def choose(self, event: Button.Pressed) -> None:
        office = self.kiosk.arrivals.office
        assert office is not None
        assert event.button.id is not None
        service_id = event.button.id.removeprefix("service-")
        service: ServiceInfo = next(s for s in office.services if s.id == service_id)
        priority = "PRIORITY" if self.query_one("#priority", Checkbox).value else "STANDARD"
        await self.kiosk.walk_in(service, priority)


class ResultScreen(IdleScreen):
    """The ticket (number, position, wait, printing) or why there is none."""

    def __init__(self, *, number: str | None, lines: list[str], note: str = "") -> None:
        super().__init__()
        self.number = number
        self.lines = lines
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="result"):
            if self.number is not None:
                yield Static(self.t("your_number"), classes="subtitle")
                yield BigText(self.number, id="big-number")
                yield Static(self.number, id="number", classes="number")
            yield Static("\n".join(self.lines), id="details", classes="details")
            yield Static(self.note, id="printing", classes="details")
            yield Button(self.t("done"), id="done", classes="big", variant="primary")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#done", Button).focus()

    def show_printing(self, text: str) -> None:
        self.query_one("#printing", Static).update(text)

    @on(Button.Pressed, "#done")
    def done(self) -> None:
        self.kiosk.go_home()
