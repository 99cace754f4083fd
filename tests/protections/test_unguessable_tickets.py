"""Nothing enumerable: a ticket is found by the opaque ID it was given, never by counting."""

from __future__ import annotations

import httpx
import pytest

from core.runtime import AppState
from core.ticket_ids import parse_ticket_id, public_ticket_id
from tests.support.api import Api
from tests.support.front_desk import TICKET, front_desk, ticket_pk

THIRTY = "{ " + " ".join(f't{n}: ticket(id: "{n}") {{ id number priority position }}' for n in range(1, 31)) + " }"


@pytest.mark.slow
async def test_thirty_counted_ticket_ids_find_nothing(api: Api, admin_token: str, one_server: str) -> None:
    """The issue's attack through a real server: 30 aliases of ticket(id: "1".."30") rebuilt every
    office's live queue, PRIORITY flags included."""
    front = await front_desk(api, admin_token)
    issued = [await front.issue(priority="PRIORITY" if n % 3 == 0 else "STANDARD") for n in range(12)]
    assert sorted(ticket_pk(t["id"]) for t in issued) == list(range(1, 13))

    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with httpx.AsyncClient(base_url=one_server, transport=transport, timeout=10) as stranger:
        counted = (await stranger.post("/graphql", json={"query": THIRTY})).json()
        # a real row number with a made-up tag, and another ticket's tag on this number
        forged = [
            f"{ticket_pk(issued[0]['id'])}-{'a' * 16}",
            f"{ticket_pk(issued[0]['id'])}-{issued[1]['id'].partition('-')[2]}",
        ]
        guessed = [
            (
                await stranger.post(
                    "/graphql",
                    json={"query": f"query($t: ID!) {{ ticket(id: $t) {{ {TICKET} }} }}", "variables": {"t": guess}},
                )
            ).json()
            for guess in forged
        ]
        own = (
            await stranger.post(
                "/graphql",
                json={"query": "query($t: ID!) { ticket(id: $t) { number } }", "variables": {"t": issued[5]["id"]}},
            )
        ).json()

    assert "errors" not in counted, counted
    assert counted["data"] == {f"t{n}": None for n in range(1, 31)}
    assert [g["data"]["ticket"] for g in guessed] == [None, None]
    assert own["data"]["ticket"] == {"number": issued[5]["number"]}  # the holder of the ID still follows it


async def test_desks_do_not_hand_strangers_the_tickets_at_them(api: Api, admin_token: str) -> None:
    front = await front_desk(api, admin_token)
    await front.issue(priority="PRIORITY")
    called = await front.call()
    desks = "query($o: ID!) { office(id: $o) { desks { name currentTicket { id priority } } } }"

    anonymous = await api.run(desks, {"o": front.office_id})

    assert anonymous["office"]["desks"] == [{"name": "1", "currentTicket": None}]
    for who, token in (("clerk", front.clerk), ("display", front.display)):
        seen = await api.run(desks, {"o": front.office_id}, token)
        assert seen["office"]["desks"][0]["currentTicket"] == {"id": called["id"], "priority": "PRIORITY"}, who


async def test_staff_moves_take_the_public_id_only(api: Api, admin_token: str, state: AppState) -> None:
    front = await front_desk(api, admin_token)
    ticket = await front.issue()
    await front.call()

    by_number = await front.move("startService", str(ticket_pk(ticket["id"])))
    by_public_id = await front.move("startService", ticket["id"])

    assert (by_number["__typename"], by_number["code"]) == ("NotFound", "NOT_FOUND")
    assert by_public_id["status"] == "SERVING"


def test_a_public_id_proves_its_row_and_nothing_else() -> None:
    key, other_key = b"k" * 32, b"o" * 32
    shown = public_ticket_id(key, 42)

    assert parse_ticket_id(key, shown) == 42
    assert parse_ticket_id(key, f" {shown.upper()} ") == 42  # read back from a URL or typed: case is not the secret
    assert parse_ticket_id(other_key, shown) is None
    assert parse_ticket_id(key, shown.replace("42-", "43-")) is None
    for junk in ("42", "42-", "-" + shown, shown + "a", "³2-" + shown.partition("-")[2], "42-" + "é" * 16, ""):
        assert parse_ticket_id(key, junk) is None, junk
