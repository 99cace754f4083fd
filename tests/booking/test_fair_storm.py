"""Issue 14's storm: every way of taking or giving a seat at once, 200 requests across two API processes, each
from an address of its own. Single bookings, families, holds of one and two seats, cancellations that offer their
seats to the waitlist, people joining that waitlist and entering a release draw, twice each where a person
tries: no slot ever holds more than its seats, no person more than their one booking, no draw more than one
entry per person, and the draw that follows gives each entrant at most one seat."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from core.runtime import AppState
from jobs.draws import run_draws
from tests.support.api import Api
from tests.support.booking import BOOK, CANCEL, ZONE, bookable_slots, citizen, scalar
from tests.support.processes import at_once

pytestmark = pytest.mark.slow

SEATS = 10  # each slot of the family procedure
HOLD = """mutation($s: ID!, $n: Int) { holdSlot(slotId: $s, partySize: $n) { __typename
    ... on SlotHold { token } ... on UserError { code message } } }"""
JOIN = """mutation($i: WaitlistInput!) { joinWaitlist(input: $i) { __typename
    ... on WaitlistEntry { id status } ... on UserError { code message } } }"""
ENTER = """mutation($i: DrawEntryInput!) { enterDraw(input: $i) { __typename
    ... on DrawEntry { id status } ... on UserError { code message } } }"""


def addresses(count: int, block: int) -> list[str]:
    return [f"198.{block}.{n // 250}.{n % 250 + 1}" for n in range(count)]


def single(slot_id: str, document: str) -> dict[str, Any]:
    return {"query": BOOK, "variables": {"i": {"slotId": slot_id, "citizen": citizen(document)}}}


def family(slot_id: str, holder: str, companions: list[str]) -> dict[str, Any]:
    party = [citizen(document, name=f"Acompañante {document}") for document in companions]
    return {"query": BOOK, "variables": {"i": {"slotId": slot_id, "citizen": citizen(holder), "companions": party}}}


async def invariants(state: AppState, service_id: str) -> None:
    """Every slot: its count of booked seats is its active bookings' people, and with its live holds within its
    capacity. Every person (holder or companion): at most the one active booking the procedure allows."""
    async with state.engine.connect() as conn:
        mismatched = (
            await conn.execute(
                text("""SELECT sl.id, sl.booked, sl.capacity,
                        (SELECT coalesce(sum(b.party_size), 0) FROM bookings b
                         WHERE b.slot_id = sl.id AND b.status IN ('PENDING', 'BOOKED')) AS people,
                        (SELECT coalesce(sum(h.seats), 0) FROM slot_holds h
                         WHERE h.slot_id = sl.id AND h.expires_at > now()) AS held
                    FROM slots sl""")
            )
        ).all()
        overbooked = (
            await conn.execute(
                text("""SELECT key, count(*) FROM (
                            SELECT b.document_hash AS key FROM bookings b
                            WHERE b.service_id = :s AND b.status IN ('PENDING', 'BOOKED')
                            UNION ALL
                            SELECT c.document_hash FROM booking_companions c JOIN bookings b ON b.id = c.booking_id
                            WHERE b.service_id = :s AND b.status IN ('PENDING', 'BOOKED')
                        ) AS people GROUP BY key HAVING count(*) > 1"""),
                {"s": int(service_id)},
            )
        ).all()
    for slot_id, booked, capacity, people, held in mismatched:
        assert booked == people, (slot_id, booked, people)
        assert booked + held <= capacity, (slot_id, booked, held, capacity)
    assert overbooked == []


async def test_every_way_of_taking_a_seat_at_once_never_passes_a_slot_or_a_person(
    api: Api, admin_token: str, state: AppState, two_servers: list[str]
) -> None:
    first, second, freed = await bookable_slots(
        api, admin_token, capacity=SEATS, slots_per_day=3, service_slug="familia", maxPartySize=3
    )
    service_id = str(await scalar(state, "SELECT service_id FROM slots WHERE id = :id", id=int(first)))
    # the draw's procedure, released at another office: its 8 seats stay hidden until the draw
    hidden = await bookable_slots(
        api, admin_token, slots_per_day=8, service_slug="pasaporte", office_slug="norte", releasePolicy="DRAW"
    )
    assert hidden == []
    draw_service = str(await scalar(state, "SELECT id FROM services WHERE slug = 'pasaporte'"))
    # the third slot full of single bookings, each to be cancelled in the storm
    made = await at_once(two_servers, [single(freed, f"7{n:07d}") for n in range(SEATS)])
    assert Counter(result["__typename"] for result in made) == {"BookingConfirmation": SEATS}, made
    tomorrow = (datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1)).isoformat()

    kinds = ["single"] * 46 + ["family"] * 30 + ["hold"] * 40 + ["cancel"] * SEATS + ["join"] * 34 + ["enter"] * 40
    requests = (
        [single((first, second)[n % 2], f"1{n:07d}") for n in range(46)]
        # each family's first companion also books alone above: one of the two requests wins that person
        + [family((first, second)[n % 2], f"2{n:07d}", [f"1{n:07d}", f"3{n:07d}"]) for n in range(30)]
        + [{"query": HOLD, "variables": {"s": (first, second)[n % 2], "n": 1 + n % 2}} for n in range(40)]
        + [
            {"query": CANCEL, "variables": {"c": m["booking"]["code"], "t": m["manageToken"], "r": "storm"}}
            for m in made
        ]
        + [
            {
                "query": JOIN,
                "variables": {
                    "i": {
                        "serviceId": service_id,
                        "from": tomorrow,
                        "to": tomorrow,
                        # the last four are the first four again, under new documents but the same e-mail
                        "citizen": citizen(f"4{n:07d}", email=f"espera{n % 30}@example.org"),
                    }
                },
            }
            for n in range(34)
        ]
        + [
            {
                "query": ENTER,
                "variables": {
                    "i": {
                        "serviceId": draw_service,
                        "from": tomorrow,
                        "to": tomorrow,
                        "citizen": citizen(f"5{n % 20:07d}"),  # twenty people, each entering twice
                    }
                },
            }
            for n in range(40)
        ]
    )
    # mixed, so that no kind of request comes first to every seat
    storm = list(zip(kinds, requests, strict=True))
    random.Random(14).shuffle(storm)
    assert len(storm) == 200

    answers = await at_once(two_servers, [request for _, request in storm], addresses=addresses(len(storm), 51))

    results: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {kind: [] for kind in kinds}
    for (kind, request), answer in zip(storm, answers, strict=True):
        results[kind].append((request["variables"], answer))
    bookings, families, holds, cancels, joins, entries = (
        Counter(answer["__typename"] for _, answer in results[kind])
        for kind in ("single", "family", "hold", "cancel", "join", "enter")
    )
    assert set(bookings) <= {"BookingConfirmation", "SlotUnavailable", "LimitExceeded"}, bookings
    assert set(families) <= {"BookingConfirmation", "SlotUnavailable", "LimitExceeded"}, families
    assert set(holds) <= {"SlotHold", "SlotUnavailable"}, holds
    assert cancels == {"Booking": SEATS}, results["cancel"]
    assert joins == {"WaitlistEntry": 30, "LimitExceeded": 4}, joins
    assert entries == {"DrawEntry": 20, "LimitExceeded": 20}, entries
    await invariants(state, service_id)
    assert await scalar(state, "SELECT booked FROM slots WHERE id = :id", id=int(freed)) == 0
    # every freed seat offered to someone waiting is held for that entry, one hold each
    offered = await scalar(state, "SELECT count(*) FROM waitlist_entries WHERE status = 'OFFERED'")
    offer_holds = await scalar(
        state,
        """SELECT count(*) FROM slot_holds h JOIN waitlist_entries w ON w.offer_hold_id = h.id
           WHERE w.status = 'OFFERED' AND h.slot_id = :id""",
        id=int(freed),
    )
    assert offered == offer_holds <= SEATS
    assert await scalar(state, "SELECT count(DISTINCT document_hash) FROM draw_entries") == 20

    # the holds' owners book what they hold while everyone else presses "book" on the same two slots
    tokens = [(asked["s"], asked["n"], held["token"]) for asked, held in results["hold"] if "token" in held]
    late = [single((first, second)[n % 2], f"6{n:07d}") for n in range(60)] + [
        {
            "query": BOOK,
            "variables": {
                "i": {
                    "slotId": slot_id,
                    "citizen": citizen(f"8{n:07d}"),
                    "companions": [citizen(f"9{n:07d}")] * (party - 1),
                    "holdToken": token,
                }
            },
        }
        for n, (slot_id, party, token) in enumerate(tokens)
    ]
    settled = await at_once(two_servers, late, addresses=addresses(len(late), 52))
    assert [result["__typename"] for result in settled[60:]] == ["BookingConfirmation"] * len(tokens), settled[60:]
    await invariants(state, service_id)

    # the draw: each entrant at most one seat, eight seats for twenty people, the rest on the waitlist
    async with state.engine.begin() as conn:
        await conn.execute(text("UPDATE draws SET closes_at = now() - interval '1 second' WHERE status = 'OPEN'"))
    assert await run_draws({"turnero_state": state}) == {"drawn": 1}
    statuses = Counter(
        row[0] for row in (await _rows(state, "SELECT status::text FROM draw_entries WHERE status <> 'WITHDRAWN'"))
    )
    assert statuses == {"WON": 8, "WAITLISTED": 12}, statuses
    await invariants(state, draw_service)
    assert await scalar(state, "SELECT count(*) FROM bookings WHERE service_id = :s", s=int(draw_service)) == 8


async def _rows(state: AppState, sql: str) -> list[Any]:
    async with state.engine.connect() as conn:
        return list((await conn.execute(text(sql))).all())
