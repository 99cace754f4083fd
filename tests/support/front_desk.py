"""An office's front desk for the queue tests: services, desks, a clerk, a kiosk and a display, and the
GraphQL documents they send."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from core.runtime import AppState
from tests.support.api import Api
from tests.support.booking import book, citizen


def zone_far_from_midnight() -> str:
    """Córdoba, or Tokyo (twelve hours away) while Córdoba is within two hours of midnight: for tests
    whose arrivals lie minutes in the past and must still fall on the office's own day."""
    hour = datetime.now(UTC).astimezone(ZoneInfo("America/Argentina/Cordoba")).hour
    return "Asia/Tokyo" if hour in (22, 23, 0, 1) else "America/Argentina/Cordoba"


TICKET = (
    "id number status priority recalls position estimatedWaitMinutes estimatedWaitAtIssue"
    " desk { id name } service { id slug } office { id }"
)
CALL_RESULT = f"__typename ... on Ticket {{ {TICKET} }} ... on UserError {{ code message }}"
RESULT = f"{CALL_RESULT} ... on ValidationError {{ field }}"

ISSUE = f"""mutation($o: ID!, $s: ID!, $p: PriorityClass! = STANDARD, $k: String) {{
    issueTicket(officeId: $o, serviceId: $s, priority: $p, idempotencyKey: $k) {{ {RESULT} }} }}"""
CHECK_IN = f"""mutation($o: ID!, $c: String!, $k: String) {{
    checkIn(officeId: $o, code: $c, idempotencyKey: $k) {{ {RESULT} }} }}"""
CALL_NEXT = f"mutation($d: ID!) {{ callNext(deskId: $d) {{ {CALL_RESULT} }} }}"
TRANSFER = f"""mutation($t: ID!, $s: ID, $o: ID, $d: ID, $k: Boolean! = true) {{
    transferTicket(ticketId: $t, serviceId: $s, officeId: $o, deskId: $d, keepPosition: $k) {{ {RESULT} }} }}"""
TICKET_QUERY = f"query($t: ID!) {{ ticket(id: $t) {{ {TICKET} booking {{ code status }} }} }}"
BOARD = """query($o: ID!) { board(officeId: $o) { seq recentCalls { number desk { name } }
    queues { waiting estimatedWaitMinutes service { slug } } } }"""

# the mutations that take a ticket and move it
MOVES = {
    "recall": "recall(ticketId: $t)",
    "startService": "startService(ticketId: $t)",
    "completeTicket": "completeTicket(ticketId: $t)",
    "markNoShow": "markNoShow(ticketId: $t)",
    "cancelTicket": "cancelTicket(ticketId: $t)",
    "transferTicket": "transferTicket(ticketId: $t, serviceId: $s)",
}


def move_document(name: str) -> str:
    variables = "$t: ID!, $s: ID" if "$s" in MOVES[name] else "$t: ID!"
    return f"mutation({variables}) {{ {MOVES[name]} {{ {RESULT} }} }}"


@dataclass
class FrontDesk:
    """One office set up for queue work. `desks` maps a desk's name to its ID; `services` a slug to its ID.
    Its methods act as the kiosk or the clerk unless given a token; the token "" is an anonymous caller."""

    api: Api
    admin: str
    office_id: str
    clerk: str
    kiosk: str
    display: str
    services: dict[str, str] = field(default_factory=dict)
    desks: dict[str, str] = field(default_factory=dict)

    async def issue(self, service: str = "dni", priority: str = "STANDARD", token: str | None = None) -> dict[str, Any]:
        data = await self.api.run(
            ISSUE,
            {"o": self.office_id, "s": self.services[service], "p": priority},
            self.kiosk if token is None else token,
        )
        result: dict[str, Any] = data["issueTicket"]
        return result

    async def call(self, desk: str = "1", token: str | None = None) -> dict[str, Any]:
        data = await self.api.run(CALL_NEXT, {"d": self.desks[desk]}, self.clerk if token is None else token)
        result: dict[str, Any] = data["callNext"]
        return result

    async def move(self, name: str, ticket_id: str, token: str | None = None) -> dict[str, Any]:
        variables = {"t": ticket_id} | ({"s": next(iter(self.services.values()))} if "$s" in MOVES[name] else {})
        data = await self.api.run(move_document(name), variables, self.clerk if token is None else token)
        result: dict[str, Any] = data[name]
        return result

    async def check_in(self, code: str, token: str | None = None, office_id: str | None = None) -> dict[str, Any]:
        data = await self.api.run(
            CHECK_IN, {"o": office_id or self.office_id, "c": code}, self.kiosk if token is None else token
        )
        result: dict[str, Any] = data["checkIn"]
        return result

    async def ticket(self, ticket_id: str, token: str | None = None) -> dict[str, Any]:
        data = await self.api.run(TICKET_QUERY, {"t": ticket_id}, self.clerk if token is None else token)
        result: dict[str, Any] = data["ticket"]
        return result


async def device_token(api: Api, admin: str, office_id: str, kind: str, name: str) -> str:
    data = await api.run(
        "mutation($o: ID!, $k: DeviceKind!, $n: String!) { issueDeviceToken(officeId: $o, kind: $k, name: $n) {"
        " __typename ... on DeviceToken { token } ... on UserError { message } } }",
        {"o": office_id, "k": kind, "n": name},
        admin,
    )
    assert data["issueDeviceToken"]["__typename"] == "DeviceToken", data
    token: str = data["issueDeviceToken"]["token"]
    return token


async def add_desk(api: Api, admin: str, office_id: str, name: str, service_ids: list[str]) -> str:
    data = await api.run(
        "mutation($i: DeskInput!) { upsertDesk(input: $i) {"
        " __typename ... on Desk { id } ... on UserError { message } } }",
        {"i": {"officeId": office_id, "name": name, "serviceIds": service_ids}},
        admin,
    )
    assert data["upsertDesk"]["__typename"] == "Desk", data
    desk_id: str = data["upsertDesk"]["id"]
    return desk_id


async def front_desk(
    api: Api,
    admin: str,
    *,
    slug: str = "centro",
    services: tuple[str, ...] = ("dni",),
    desks: dict[str, tuple[str, ...]] | None = None,
    **office: Any,
) -> FrontDesk:
    """An office with the given services (prefix = the slug's first letter, upper case) and desks
    (default: desk "1" serving every service)."""
    office_id = await api.office(admin, slug=slug, **office)
    service_ids = {s: await api.service(admin, slug=s, ticketPrefix=s[0].upper()) for s in services}
    desk_ids = {
        name: await add_desk(api, admin, office_id, name, [service_ids[s] for s in served])
        for name, served in (desks or {"1": services}).items()
    }
    return FrontDesk(
        api=api,
        admin=admin,
        office_id=office_id,
        clerk=await api.staff_token(admin, f"clerk-{slug}", "CLERK", office_id),
        kiosk=await device_token(api, admin, office_id, "KIOSK", f"kiosk {slug}"),
        display=await device_token(api, admin, office_id, "DISPLAY", f"screen {slug}"),
        services=service_ids,
        desks=desk_ids,
    )


async def booking_due_in(
    front: FrontDesk, state: AppState, minutes: float, *, document: str = "30123456", service: str = "dni"
) -> str:
    """A booking at the front desk's office, moved (after booking) to start `minutes` from now; its code."""
    async with state.engine.begin() as conn:
        slot_id = (
            await conn.execute(
                text("""INSERT INTO slots (office_id, service_id, starts_at, ends_at, capacity)
                        SELECT :o, :s, t, t + interval '15 minutes', 1
                        FROM (SELECT date_trunc('minute', now()) + interval '1 day'
                                     + (SELECT count(*) FROM slots) * interval '1 minute' AS t) AS later
                        RETURNING id"""),
                {"o": int(front.office_id), "s": int(front.services[service])},
            )
        ).scalar_one()
    confirmation = await book(front.api, str(slot_id), citizen=citizen(document))
    assert confirmation["__typename"] == "BookingConfirmation", confirmation
    booking = confirmation["booking"]
    async with state.engine.begin() as conn:
        shift = {"d": timedelta(minutes=minutes), "slot": slot_id, "booking": int(booking["id"])}
        await conn.execute(
            text(
                "UPDATE slots SET starts_at = now() + :d, ends_at = now() + :d + interval '15 minutes' WHERE id = :slot"
            ),
            shift,
        )
        await conn.execute(
            text(
                "UPDATE bookings SET starts_at = now() + :d, ends_at = now() + :d + interval '15 minutes'"
                " WHERE id = :booking"
            ),
            shift,
        )
    code: str = booking["code"]
    return code


async def events(state: AppState, office_id: str) -> list[tuple[int, str, int]]:
    """The office's queue log: (seq, type, ticket id), in seq order."""
    async with state.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT seq, type::text, ticket_id FROM queue_events WHERE office_id = :o ORDER BY seq"),
            {"o": int(office_id)},
        )
        return [(row[0], row[1], row[2]) for row in rows]


def ticket_pk(public_id: str) -> int:
    """The row behind a ticket's public ID, for reading the database: its number part (the server checks the
    MAC after it; see core/ticket_ids.py)."""
    return int(public_id.partition("-")[0])
