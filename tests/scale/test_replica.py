"""A streaming read replica (DATABASE_READ_URL): availability is read there, seats are decided on the primary.

A real primary and hot standby (tests/support/replication.py) behind a real `serve`: with the standby's replay
paused, the last seats sell on the primary while availability still offers them, the next booking is refused
with the usual SlotUnavailable, nothing is sold twice, and a seat freed on the primary books at once although
the replica still shows the slot full. The empty search's unmet-demand count lands on the primary."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from core.runtime import AppState, open_state
from core.settings import Settings
from tests.support.api import Api
from tests.support.booking import BOOK, CANCEL, ZONE, citizen, scalar
from tests.support.replication import Pair, caught_up, pause_replay, resume_replay

pytestmark = pytest.mark.slow

AVAILABILITY = """query($s: ID!, $o: ID!, $d: Date!) {
    availability(serviceId: $s, officeId: $o, from: $d, to: $d) { slots { id remaining } } }"""


@pytest.fixture
async def primary(pair: Pair, settings: Settings) -> AsyncIterator[AppState]:
    on_pair = settings.model_copy(update={"database_url": pair.primary_url, "database_read_url": pair.replica_url})
    async with open_state(on_pair, application_name="turnero-tests") as state:
        yield state


async def free_slots(api: Api, service_id: str, office_id: str, day: str) -> dict[str, int]:
    """What a citizen (anonymous) sees: each bookable slot's id and its free seats."""
    data = await api.run(AVAILABILITY, {"s": service_id, "o": office_id, "d": day})
    return {slot["id"]: slot["remaining"] for found in data["availability"] for slot in found["slots"]}


async def book(api: Api, slot_id: str, document: str) -> dict[str, Any]:
    data = await api.run(BOOK, {"i": {"slotId": slot_id, "citizen": citizen(document)}})
    result: dict[str, Any] = data["book"]
    return result


async def test_a_lagging_replica_never_sells_a_seat_twice_nor_refuses_a_free_one(
    pair: Pair, server: str, primary: AppState
) -> None:
    async with httpx.AsyncClient(base_url=server, timeout=30) as http:
        api = Api(http)
        admin = await api.make_admin(primary)
        office_id = await api.office(admin, slug="replica")
        service_id = await api.service(admin, slug="replica-dni")
        tomorrow = (datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1)).isoformat()
        agenda = await api.agenda(
            admin,
            officeId=office_id,
            serviceId=service_id,
            weekdays=[(datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1)).isoweekday()],
            startTime="09:00",
            endTime="10:00",
            slotMinutes=60,
            capacity=2,
            validFrom=tomorrow,
            validTo=tomorrow,
        )
        assert agenda["__typename"] == "Agenda", agenda
        await api.release(admin, office_id)
        await caught_up(pair)
        offered = await free_slots(api, service_id, office_id, tomorrow)
        assert list(offered.values()) == [2]
        (slot_id,) = offered

        await pause_replay(pair)
        try:
            first = await book(api, slot_id, "20000001")
            second = await book(api, slot_id, "20000002")
            assert [first["__typename"], second["__typename"]] == ["BookingConfirmation"] * 2, (first, second)
            # the replica has not seen them: availability (read there) still offers both seats …
            assert await free_slots(api, service_id, office_id, tomorrow) == {slot_id: 2}
            # … and the primary, which decides, refuses the third with the usual answer
            third = await book(api, slot_id, "20000003")
            assert third["__typename"] == "SlotUnavailable", third
        finally:
            await resume_replay(pair)
        booked = "SELECT count(*) FROM bookings b JOIN services s ON s.id = b.service_id WHERE s.slug = 'replica-dni'"
        assert await scalar(primary, booked + " AND b.status = 'BOOKED'") == 2
        assert await scalar(primary, "SELECT booked FROM slots WHERE service_id = :s", s=int(service_id)) == 2

        await caught_up(pair)
        assert await free_slots(api, service_id, office_id, tomorrow) == {}
        # that empty search counted as unmet demand on the primary (the replica takes no writes)
        unmet = "SELECT coalesce(sum(searches), 0) FROM unmet_searches WHERE service_id = :s"
        assert await scalar(primary, unmet, s=int(service_id)) == 1

        await pause_replay(pair)
        try:
            cancelled = await api.run(CANCEL, {"c": first["booking"]["code"], "t": first["manageToken"]})
            assert cancelled["cancelBooking"]["status"] == "CANCELLED", cancelled
            # the replica still shows the slot full; the seat the primary freed books at once all the same
            assert await free_slots(api, service_id, office_id, tomorrow) == {}
            again = await book(api, slot_id, "20000003")
            assert again["__typename"] == "BookingConfirmation", again
        finally:
            await resume_replay(pair)
        assert await scalar(primary, booked + " AND b.status = 'BOOKED'") == 2
        await caught_up(pair)
        assert await free_slots(api, service_id, office_id, tomorrow) == {}
