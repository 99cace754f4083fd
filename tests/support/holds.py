"""Holding seats, and seeing them as availability shows them to a caller (tests of issue 14)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.runtime import AppState
from tests.support.api import Api
from tests.support.booking import ZONE, scalar

HOLD = """mutation($s: ID!) { holdSlot(slotId: $s) { __typename
    ... on SlotHold { token expiresAt slot { id remaining held } }
    ... on SlotUnavailable { code message alternatives { id } }
    ... on UserError { code message } } }"""
SLOT_SEATS = """query($s: ID!, $d: Date!) { availability(serviceId: $s, from: $d, to: $d) {
    remaining slots { id remaining held reserved } } }"""


async def hold(api: Api, slot_id: str, token: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = (await api.run(HOLD, {"s": slot_id}, token))["holdSlot"]
    return result


async def shown(api: Api, state: AppState, slot_id: str, token: str | None = None) -> dict[str, Any] | None:
    """The slot as availability shows it to this caller (anonymous without a token); None when not shown."""
    service = str(await scalar(state, "SELECT service_id FROM slots WHERE id = :id", id=int(slot_id)))
    tomorrow = (datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1)).isoformat()
    data = await api.run(SLOT_SEATS, {"s": service, "d": tomorrow}, token)
    for day in data["availability"]:
        for slot in day["slots"]:
            if slot["id"] == slot_id:
                found: dict[str, Any] = slot
                return found
    return None
