"""The kiosk's screens, driven with Textual's Pilot as a citizen would (touch and keyboard), against a real
running Turnero: check-in, walk-in, priority, every refusal, printing trouble, offline, idle, language."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Static

from core.runtime import AppState
from core.ticket_ids import public_ticket_id
from kiosk_client.api import Refusal
from kiosk_client.app import KioskApp
from kiosk_client.bigtext import BigText, raster
from kiosk_client.screens import CodeScreen, ResultScreen, ServiceScreen, StartScreen
from tests.support.api import Api
from tests.support.booking import CANCEL, scalar
from tests.support.front_desk import FrontDesk, booking_due_in, front_desk
from tests.support.kiosk import Kiosk, kiosk
from tests.support.processes import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
async def front(api: Api, admin_token: str) -> FrontDesk:
    return await front_desk(
        api, admin_token, services=("dni", "licencias", "pasaportes"), checkinOpensMinutes=30, checkinClosesMinutes=10
    )


@asynccontextmanager
async def screen(
    front: FrontDesk, server: str, tmp_path: Path, **settings: Any
) -> AsyncIterator[tuple[Pilot[None], KioskApp, Kiosk]]:
    async with kiosk(front, server, tmp_path, **settings) as kiosk_:
        app = KioskApp(kiosk_.config, kiosk_.arrivals)
        async with app.run_test(size=(100, 50)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, StartScreen))
            yield pilot, app, kiosk_


async def until(pilot: Pilot[None], condition: Callable[[], bool], seconds: float = 15) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await pilot.pause(0.05)


def shown(app: KioskApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


async def result(pilot: Pilot[None], app: KioskApp) -> ResultScreen:
    await until(pilot, lambda: isinstance(app.screen, ResultScreen))
    assert isinstance(app.screen, ResultScreen)
    return app.screen


async def printed(pilot: Pilot[None], app: KioskApp) -> str:
    await until(pilot, lambda: shown(app, "#printing") not in ("", "…"))
    return shown(app, "#printing")


async def type_code(pilot: Pilot[None], app: KioskApp, code: str) -> None:
    await pilot.click("#appointment")
    await until(pilot, lambda: isinstance(app.screen, CodeScreen))
    await pilot.press(*code, "enter")  # as the scanner does


async def test_a_walk_in_picks_a_service_by_touch_and_gets_a_printed_ticket(
    front: FrontDesk, state: AppState, one_server: str, tmp_path: Path
) -> None:
    async with screen(front, one_server, tmp_path) as (pilot, app, _):
        assert str(app.screen.query_one("#walk-in", Button).label) == "No tengo turno"
        await pilot.click("#walk-in")
        await until(pilot, lambda: isinstance(app.screen, ServiceScreen))
        await pilot.click("#search")
        await pilot.press(*"LICEN")
        visible = [b.id for b in app.screen.query(".service").results(Button) if b.display]
        assert visible == [f"service-{front.services['licencias']}"]
        await pilot.click(f"#service-{front.services['licencias']}")
        done = await result(pilot, app)
        number = await scalar(state, "SELECT number FROM tickets")
        ticket_id = await scalar(state, "SELECT id FROM tickets")
        assert done.number == number == "L-001"  # the block the kiosk reserved at start-up is from the top
        assert shown(app, "#number") == number
        big = str(app.screen.query_one("#big-number", BigText).render())
        assert len(big.splitlines()) >= 5
        assert set(big) <= {" ", "▀", "▄", "█", "\n"}
        assert [line.rstrip() for line in big.splitlines()] == raster(number)
        assert raster(number) != raster("L-002")
        assert "Sos el próximo" in shown(app, "#details")
        assert "Espera estimada: 0 min" in shown(app, "#details")
        assert await printed(pilot, app) == "Retirá tu ticket impreso."
        paper = (tmp_path / "printer.bin").read_bytes()
        assert b"L-001" in paper
        # the QR carries the ticket's opaque public ID, the only way to follow it without signing in
        assert f"https://turnos.example/tickets/{public_ticket_id(state.secret_key, ticket_id)}".encode() in paper
        assert paper.endswith(b"\x1dV\x00")
        await pilot.click("#done")
        await until(pilot, lambda: isinstance(app.screen, StartScreen))
        assert await scalar(state, "SELECT priority::text FROM tickets") == "STANDARD"


async def test_a_priority_walk_in_by_keyboard(
    front: FrontDesk, state: AppState, one_server: str, tmp_path: Path
) -> None:
    async with screen(front, one_server, tmp_path) as (pilot, app, _):
        await pilot.press("tab", "enter")  # from the first big button to the second: no appointment
        await until(pilot, lambda: isinstance(app.screen, ServiceScreen))
        box = app.screen.query_one("#priority", Checkbox)
        assert "X" not in str(box.render())  # unticked reads as an empty box
        await pilot.press("tab", "space")  # from the search box to the priority box, ticked
        assert "✓" in str(box.render())
        await pilot.press("tab", "enter")  # the first service
        await result(pilot, app)
        assert await scalar(state, "SELECT priority::text FROM tickets") == "PRIORITY"


async def test_a_citizen_with_an_appointment_scans_the_code(
    front: FrontDesk, state: AppState, one_server: str, tmp_path: Path
) -> None:
    code = await booking_due_in(front, state, 10)
    async with screen(front, one_server, tmp_path) as (pilot, app, _):
        await type_code(pilot, app, code.lower())
        await result(pilot, app)
        assert shown(app, "#number") == await scalar(state, "SELECT number FROM tickets")
        assert await scalar(state, "SELECT status::text FROM bookings") == "CHECKED_IN"
        assert await printed(pilot, app) == "Retirá tu ticket impreso."


async def refusal_of(pilot: Pilot[None], app: KioskApp, code: str) -> str:
    await type_code(pilot, app, code)
    done = await result(pilot, app)
    assert done.number is None
    message = shown(app, "#details")
    await pilot.click("#done")
    await until(pilot, lambda: isinstance(app.screen, StartScreen))
    return message


async def test_every_refusal_is_a_friendly_sentence(
    api: Api, admin_token: str, front: FrontDesk, state: AppState, one_server: str, tmp_path: Path
) -> None:
    early = await booking_due_in(front, state, 90, document="20000001")
    late = await booking_due_in(front, state, -20, document="20000002")
    cancelled = await booking_due_in(front, state, 5, document="20000003")
    elsewhere = await front_desk(api, admin_token, slug="norte")
    at_norte = await booking_due_in(elsewhere, state, 5, document="20000004")
    assert (await api.run(CANCEL, {"c": cancelled, "r": "x"}, front.clerk))["cancelBooking"]["__typename"] == "Booking"
    opens = await scalar(
        state,
        "SELECT to_char((starts_at - interval '30 minutes') AT TIME ZONE 'America/Argentina/Cordoba', 'HH24:MI')"
        " FROM bookings WHERE code = :c",
        c=early,
    )
    async with screen(front, one_server, tmp_path) as (pilot, app, _):
        assert await refusal_of(pilot, app, early) == f"Llegaste temprano: podés registrarte desde las {opens}."
        assert (await refusal_of(pilot, app, late)).startswith("El registro cerró a las ")
        assert (await refusal_of(pilot, app, at_norte)).startswith("Tu turno es en otra oficina: ")
        assert "Office norte" in await refusal_of(pilot, app, at_norte)
        assert (await refusal_of(pilot, app, cancelled)).startswith("Este turno ya no está activo")
        assert (await refusal_of(pilot, app, "ZZZZZZZZ")).startswith("No encontramos un turno con ese código")

        await pilot.click("#appointment")
        await until(pilot, lambda: isinstance(app.screen, CodeScreen))
        await pilot.click("#confirm")
        assert shown(app, "#error") == "Escribí el código de tu turno."
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, StartScreen))

        # a procedure that stopped taking walk-ins after the kiosk learned its services
        await api.service(admin_token, slug="pasaportes", ticketPrefix="P", walkInAllowed=False)
        await pilot.click("#walk-in")
        await until(pilot, lambda: isinstance(app.screen, ServiceScreen))
        await pilot.click(f"#service-{front.services['pasaportes']}")
        await result(pilot, app)
        assert shown(app, "#details").startswith("Este trámite requiere turno previo")

        # and in English
        await pilot.click("#done")
        await until(pilot, lambda: isinstance(app.screen, StartScreen))
        await pilot.click("#language")
        await until(pilot, lambda: str(app.screen.query_one("#appointment", Button).label) == "I have an appointment")
        assert await refusal_of(pilot, app, early) == f"You are early: check-in opens at {opens}."
    assert await scalar(state, "SELECT count(*) FROM tickets") == 0


async def test_a_printer_that_is_away_does_not_stop_the_kiosk(
    front: FrontDesk, state: AppState, one_server: str, tmp_path: Path
) -> None:
    async with screen(front, one_server, tmp_path, printer=f"tcp://127.0.0.1:{free_port()}") as (pilot, app, _):
        await pilot.click("#walk-in")
        await until(pilot, lambda: isinstance(app.screen, ServiceScreen))
        await pilot.click(f"#service-{front.services['dni']}")
        await result(pilot, app)
        assert shown(app, "#number") == "D-001"
        assert await printed(pilot, app) == (
            "No pudimos imprimir el ticket (impresora desconectada). Anotá tu número: D-001."
        )


async def test_offline_the_screen_says_so_and_the_tickets_reach_the_server_later(
    front: FrontDesk, state: AppState, one_server: str, tmp_path: Path
) -> None:
    code = await booking_due_in(front, state, 10)
    async with screen(front, one_server, tmp_path, replay_every_seconds=0.2) as (pilot, app, kiosk_):
        await kiosk_.proxy.cut()
        await pilot.click("#walk-in")
        await until(pilot, lambda: isinstance(app.screen, ServiceScreen))
        await pilot.click(f"#service-{front.services['dni']}")
        await result(pilot, app)
        assert shown(app, "#number") == "D-970"  # the first of the 30 reserved at start-up, from the top
        assert "Trabajando sin conexión: tu número es válido" in shown(app, "#details")
        assert await printed(pilot, app) == "Retirá tu ticket impreso."
        assert b"Trabajando sin conexi" in (tmp_path / "printer.bin").read_bytes()
        await pilot.click("#done")
        await until(pilot, lambda: isinstance(app.screen, StartScreen))
        assert shown(app, "#banner") == "Sin conexión"

        await type_code(pilot, app, code)
        await result(pilot, app)
        assert shown(app, "#number") == "971"  # the booking's service letter is not known offline
        assert "tu llegada se confirmará al volver la red" in shown(app, "#details")
        await pilot.click("#done")
        await until(pilot, lambda: isinstance(app.screen, StartScreen))
        assert await scalar(state, "SELECT count(*) FROM tickets") == 0

        await kiosk_.proxy.open()
        await until(pilot, lambda: shown(app, "#banner") == "")  # the kiosk replayed by itself
        await until(pilot, lambda: not kiosk_.spool.has_pending())
        async with state.engine.connect() as conn:
            numbers = (await conn.execute(text("SELECT number FROM tickets ORDER BY issued_at"))).scalars().all()
        assert numbers == ["D-970", "D-971"]
        assert await scalar(state, "SELECT status::text FROM bookings") == "CHECKED_IN"


async def test_an_untouched_screen_goes_back_to_the_start(front: FrontDesk, one_server: str, tmp_path: Path) -> None:
    # The idle time is long enough that a loaded machine's stalls between two touches stay under it,
    # and the touches together last longer than it: only the touches can have kept the screen.
    async with screen(front, one_server, tmp_path, idle_seconds=3) as (pilot, app, _):
        await pilot.click("#appointment")
        await until(pilot, lambda: isinstance(app.screen, CodeScreen))
        for key in "ABCDEFGH":  # touching keeps it
            await pilot.press(key)
            await pilot.pause(0.5)
        assert isinstance(app.screen, CodeScreen)
        await until(pilot, lambda: isinstance(app.screen, StartScreen), seconds=10)


async def test_the_server_s_own_refusals_come_in_the_kiosk_s_language(
    front: FrontDesk, one_server: str, tmp_path: Path
) -> None:
    """The kiosk sends its language as Accept-Language, and follows the citizen's switch (issue 16)."""
    async with screen(front, one_server, tmp_path) as (_, app, kiosk_):
        api, office = kiosk_.arrivals.api, kiosk_.config.office_id
        spanish = await api.issue_ticket(office, "424242", idempotency_key="unknown-service-es")
        app.language = "en"
        english = await api.issue_ticket(office, "424242", idempotency_key="unknown-service-en")
    assert isinstance(spanish, Refusal)
    assert isinstance(english, Refusal)
    assert (spanish.code, spanish.message) == ("NOT_FOUND", "Ningún trámite tiene este ID.")
    assert (english.code, english.message) == ("NOT_FOUND", "No service has this ID.")
