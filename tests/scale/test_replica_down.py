"""A replica that cannot be reached fails no search: the reads meant for it go to the primary."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from core.runtime import AppState, open_state
from core.settings import Settings
from realtime.live import LiveQueue
from server.app import create_app
from tests.support.api import Api
from tests.support.booking import bookable_slots
from tests.support.processes import free_port


@pytest.fixture
async def replica_down(settings: Settings, live_queue: LiveQueue) -> AsyncIterator[Api]:
    """The suite's app with DATABASE_READ_URL at a port where nothing listens."""
    nowhere = f"postgresql://postgres@127.0.0.1:{free_port()}/turnero"
    async with open_state(settings.model_copy(update={"database_read_url": nowhere})) as state:
        app = create_app(settings)
        app.state.turnero = state
        app.state.live_queue = live_queue
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://turnero.test") as http:
            yield Api(http)


async def test_searches_read_the_primary_while_the_replica_is_down(
    api: Api, admin_token: str, state: AppState, replica_down: Api
) -> None:
    slots = await bookable_slots(api, admin_token, slots_per_day=2)
    service_id = (await api.run("{ services { id } }"))["services"][0]["id"]
    found = await replica_down.run(
        "query($s: ID!, $q: String) { earliestSlots(serviceId: $s) { id } services(search: $q) { id } }",
        {"s": service_id, "q": "dni"},
    )
    assert [slot["id"] for slot in found["earliestSlots"]] == slots
    assert [service["id"] for service in found["services"]] == [service_id]
