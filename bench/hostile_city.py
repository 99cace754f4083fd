"""The hostile-load bench's setting, on the demo city: an office of its own for the desks and the display,
a staff user for the sprayer to aim at, and free slots for honest citizens and for the booking bot."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import OFFICE_SERVICES, OFFICES
from bench.hostile_net import bound_client, loopback
from tests.support.api import Api
from tests.support.front_desk import front_desk

ADMIN = "hostile-bench-admin"
STAFF_BLOCK = 1  # 127.1.x.x: the bench's own set-up, desks and display
WALK_IN = "walkin"
HELD = "held"  # its desk never calls: its ticket waits all run long, and changes with every event of the office
EARLIEST = "query($s: ID!) { earliestSlots(serviceId: $s, limit: 12) { id startsAt remaining } }"
CREATE_STAFF = "mutation($i: StaffInput!) { createStaff(input: $i) { __typename } }"


@dataclass(frozen=True)
class City:
    office_id: str
    walk_in: str  # the procedure the desks serve
    desks: list[str]
    clerk: str
    kiosk: str
    display: str
    held_ticket: str
    victim: str  # a staff user the mix never signs in as; the sprayer guesses at it
    victim_password: str
    offerings: list[tuple[str, str]]  # (office, procedure) pairs of the demo city
    honest_slots: list[str]
    bot_slots: list[str]


async def free_slots(api: Api, admin: str, services: list[str]) -> list[str]:
    """The soonest slots of these procedures, from two hours ahead (nearer ones may be too late to book)."""
    after = datetime.now(UTC) + timedelta(hours=2)
    slots: list[str] = []
    for service in services:
        for slot in (await api.run(EARLIEST, {"s": service}, admin))["earliestSlots"]:
            if slot["remaining"] > 0 and datetime.fromisoformat(slot["startsAt"]) > after:
                slots.append(slot["id"])
    return slots


async def prepare(base: str, admin_password: str, honest_services: int, bot_services: int) -> City:
    """Everything made through the API as the bench's ADMIN, from an address of the bench's own."""
    async with bound_client(base, loopback(STAFF_BLOCK, 0), timeout=60) as http:
        api = Api(http)
        admin = await api.login(ADMIN, admin_password)
        tag = secrets.token_hex(3)
        front = await front_desk(
            api,
            admin,
            slug=f"hostile-{tag}",
            services=(WALK_IN, HELD),
            desks={"1": (WALK_IN,), "2": (WALK_IN,), HELD: (HELD,)},
        )
        held = await front.issue(HELD)
        assert held["__typename"] == "Ticket", held
        victim, victim_password = f"victim-{tag}", secrets.token_urlsafe(18)
        grant = {"role": "CLERK", "officeId": front.office_id}
        staff = {"username": victim, "password": victim_password, "roles": [grant]}
        created = await api.run(CREATE_STAFF, {"i": staff}, admin)
        assert created["createStaff"]["__typename"] == "StaffUser", created
        # office by office, as any client under the cost budget asks (bench.common.offerings)
        offices: list[dict[str, Any]] = (await api.run(OFFICES, {}, admin))["offices"]
        offerings = [
            (office["id"], service["id"])
            for office in offices
            if office["id"] != front.office_id
            for service in (await api.run(OFFICE_SERVICES, {"o": office["id"]}, admin))["office"]["services"]
        ]
        services = sorted({service for _, service in offerings})
        half = len(services) // 2
        honest, bot = await asyncio.gather(
            free_slots(api, admin, services[:half][:honest_services]),
            free_slots(api, admin, services[half:][:bot_services]),
        )
    if not honest or not bot:
        raise SystemExit("the demo city has no free slots two hours ahead: seed it again (main.py seed --demo)")
    return City(
        office_id=front.office_id,
        walk_in=front.services[WALK_IN],
        desks=[desk for name, desk in front.desks.items() if name != HELD],
        clerk=front.clerk,
        kiosk=front.kiosk,
        display=front.display,
        held_ticket=held["id"],
        victim=victim,
        victim_password=victim_password,
        offerings=offerings,
        honest_slots=honest,
        bot_slots=bot,
    )
