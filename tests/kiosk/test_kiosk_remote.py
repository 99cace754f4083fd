"""The kiosk at a full building (issue 16, point 7), driven with Textual's Pilot: a walk-in beyond the office's
maximum occupancy is told, on screen and on the slip, to wait outside with the code to come in with; typing that
code is refused while the building is full and nobody told them to come, and lets them in once there is room."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.runtime import AppState
from kiosk_client.screens import ServiceScreen, StartScreen
from tests.kiosk.test_kiosk_app import printed, result, screen, shown, type_code, until
from tests.support.api import Api
from tests.support.booking import scalar
from tests.support.front_desk import front_desk

pytestmark = pytest.mark.slow


async def test_a_walk_in_at_a_full_building_waits_outside_and_comes_in_with_the_code(
    api: Api, admin_token: str, state: AppState, one_server: str, tmp_path: Path
) -> None:
    front = await front_desk(api, admin_token, maxOccupancy=1)
    inside = await front.issue(token=front.clerk)  # the desk's walk-in fills the building
    async with screen(front, one_server, tmp_path) as (pilot, app, _):
        await pilot.click("#walk-in")
        await until(pilot, lambda: isinstance(app.screen, ServiceScreen))
        await pilot.click(f"#service-{front.services['dni']}")
        done = await result(pilot, app)
        code = await scalar(state, "SELECT remote_code FROM tickets WHERE remote")
        assert done.number == await scalar(state, "SELECT number FROM tickets WHERE remote")
        assert "El edificio está lleno: esperá afuera" in shown(app, "#details")
        assert code in shown(app, "#details")
        assert await printed(pilot, app) == "Retirá tu ticket impreso."
        assert code.encode() in (tmp_path / "printer.bin").read_bytes()
        await pilot.click("#done")
        await until(pilot, lambda: isinstance(app.screen, StartScreen))

        await type_code(pilot, app, code.lower())
        await result(pilot, app)
        assert "El edificio está lleno" in shown(app, "#details")
        await pilot.click("#done")
        await until(pilot, lambda: isinstance(app.screen, StartScreen))

        await front.call()
        for step in ("startService", "completeTicket"):
            assert (await front.move(step, inside["id"]))["__typename"] == "Ticket"
        await type_code(pilot, app, code)
        came = await result(pilot, app)
        assert came.number == done.number
        assert await scalar(state, "SELECT count(*) FROM tickets WHERE remote") == 0
