"""The fairness bench's requesters: people, who think between steps and take what is offered, and bots, which
loop as fast as the server answers. Both book through the public API from loopback addresses of their own and
solve the automation challenge where the server asks for one, at its real CPU cost.

`python -m bench.fairness_clients` runs the bots of one scenario in a process of their own (their CPU time is
the figure "CPU seconds per seat won"): a JSON plan on stdin, a JSON report on stdout.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.hostile_net import bound_client, loopback

SEARCH = """query($s: ID!, $o: ID!, $f: Date!, $t: Date!) {
    availability(serviceId: $s, officeId: $o, from: $f, to: $t) { slots { id remaining } } }"""
BOOK = """mutation($i: BookInput!) { book(input: $i) { __typename
    ... on BookingConfirmation { booking { code } }
    ... on SlotUnavailable { alternatives { id } }
    ... on ChallengeRequired { challenge { algorithm challenge salt signature maxNumber } }
    ... on UserError { code message } } }"""
ENTER = """mutation($i: DrawEntryInput!) { enterDraw(input: $i) { __typename
    ... on DrawEntry { id status }
    ... on ChallengeRequired { challenge { algorithm challenge salt signature maxNumber } }
    ... on UserError { code message } } }"""
# the same without the challenge, for a server that has none yet (the answer's type names what happened)
BOOK_PLAIN = BOOK.replace(
    "... on ChallengeRequired { challenge { algorithm challenge salt signature maxNumber } }\n", ""
)


SHORT_WAIT_SECONDS = 5


@dataclass(frozen=True)
class Scenario:
    base: str
    office: str
    service: str
    first_day: str
    last_day: str
    challenge: bool  # whether the server's schema knows ChallengeRequired
    deadline: float  # time.time() by which every requester gives up
    mode: str = "book"  # "draw" under releasePolicy DRAW: everyone enters the draw instead of booking

    @property
    def draw(self) -> bool:
        return self.mode == "draw"


@dataclass
class Outcome:
    seats: int = 0
    requests: int = 0
    refused: int = 0
    challenges_solved: int = 0
    solve_seconds: float = 0.0
    answers: dict[str, int] = field(default_factory=dict)

    def count(self, what: str) -> None:
        self.answers[what] = self.answers.get(what, 0) + 1


def solve(challenge: dict[str, Any]) -> tuple[str, float]:
    """The ALTCHA payload for a challenge, found by brute force as the browser widget does, and the CPU
    seconds it took (this thread's own: other requesters solve at the same time)."""
    from altcha.v1 import solve_challenge  # the classic (v1) scheme the server hands out

    started = time.thread_time()
    solution = solve_challenge(
        challenge=challenge["challenge"],
        salt=challenge["salt"],
        algorithm=challenge["algorithm"],
        max_number=challenge["maxNumber"],
        start=0,
    )
    if solution is None:
        raise RuntimeError("challenge without a solution")
    payload = {
        "algorithm": challenge["algorithm"],
        "challenge": challenge["challenge"],
        "number": solution.number,
        "salt": challenge["salt"],
        "signature": challenge["signature"],
    }
    return base64.b64encode(json.dumps(payload).encode()).decode(), time.thread_time() - started


def identity(kind: str, number: int) -> dict[str, Any]:
    """A requester's citizen data: document, mail and phone unique per identity."""
    # documents, mails and phones all apart between people and bots: the limits count a booking against a
    # person when any of the three matches
    digit = 7 if kind == "person" else 9
    return {
        "name": f"{kind.title()} {number}",
        "documentId": f"{digit}{number:07d}",
        "email": f"{kind}{number}@example.org",
        "phone": f"+54 351 {digit}{number:06d}",
        "locale": "es",
    }


async def post(client: httpx.AsyncClient, query: str, variables: dict[str, Any], outcome: Outcome) -> dict[str, Any]:
    """The answer's data, or {"refused": seconds to wait} for a 429, or {} for any other failure."""
    outcome.requests += 1
    try:
        response = await client.post("/graphql", json={"query": query, "variables": variables})
    except httpx.HTTPError:
        outcome.count("transport error")
        return {}
    if response.status_code == 429:
        outcome.refused += 1
        outcome.count("HTTP 429")
        return {"refused": float(response.headers.get("Retry-After", "1"))}
    try:
        data: dict[str, Any] = response.json().get("data") or {}
    except ValueError:
        data = {}
    if not data:
        outcome.count(f"HTTP {response.status_code} without data")
    return data


async def free_slots(client: httpx.AsyncClient, scenario: Scenario, outcome: Outcome) -> list[str] | None:
    """Free slots of the scenario, or None when the search was refused."""
    variables = {"s": scenario.service, "o": scenario.office, "f": scenario.first_day, "t": scenario.last_day}
    data = await post(client, SEARCH, variables, outcome)
    if "availability" not in data:
        return None
    return [slot["id"] for day in data["availability"] for slot in day["slots"] if slot["remaining"] > 0]


async def attempt(
    client: httpx.AsyncClient, scenario: Scenario, slot: str, citizen: dict[str, Any], outcome: Outcome
) -> tuple[str, dict[str, Any]]:
    """One `book`, solving the challenge and booking again when the server asks for it: (type, answer)."""
    document = BOOK if scenario.challenge else BOOK_PLAIN
    return await solving(client, document, "book", {"slotId": slot, "citizen": citizen}, outcome)


async def enter(
    client: httpx.AsyncClient, scenario: Scenario, citizen: dict[str, Any], outcome: Outcome
) -> tuple[str, dict[str, Any]]:
    """One `enterDraw` for the scenario's office and days, solving the challenge where asked: (type, answer)."""
    request = {
        "serviceId": scenario.service,
        "officeIds": [scenario.office],
        "from": scenario.first_day,
        "to": scenario.last_day,
        "citizen": citizen,
    }
    return await solving(client, ENTER, "enterDraw", request, outcome)


async def solving(
    client: httpx.AsyncClient, document: str, name: str, request: dict[str, Any], outcome: Outcome
) -> tuple[str, dict[str, Any]]:
    """The mutation `name` with `request` as its input, solved and sent again on ChallengeRequired."""
    payload: str | None = None
    for _ in range(3):
        sent = request if payload is None else request | {"challenge": payload}
        data = await post(client, document, {"i": sent}, outcome)
        if "refused" in data:
            return "refused", data
        answer = data.get(name) or {}
        kind = str(answer.get("__typename", "failed"))
        outcome.count(kind)
        if kind != "ChallengeRequired":
            return kind, answer
        payload, seconds = await asyncio.to_thread(solve, answer["challenge"])
        outcome.solve_seconds += seconds
        outcome.challenges_solved += 1
    return "ChallengeRequired", {}


async def person(scenario: Scenario, number: int, block: int, arrival: float, rng: random.Random) -> Outcome:
    """Arrives, searches, thinks, picks a time and books; tries again after a refusal or a lost race. Under a
    draw: arrives, reads the page and enters (once entered, the draw decides)."""
    outcome = Outcome()
    await asyncio.sleep(arrival)
    citizen = identity("person", number)
    async with bound_client(scenario.base, loopback(block, number), timeout=60, connections=1) as client:
        if scenario.draw:
            await asyncio.sleep(rng.uniform(3, 10))  # reading the procedure's page and filling in the form
            for _ in range(8):
                kind, answer = await enter(client, scenario, citizen, outcome)
                if kind != "refused":
                    return outcome
                await asyncio.sleep(float(answer["refused"]))
            return outcome
        tries = 0
        while tries < 8 and time.time() < scenario.deadline:
            slots = await free_slots(client, scenario, outcome)
            if slots is None:
                await asyncio.sleep(rng.uniform(2, 5))
                continue
            if not slots:
                outcome.count("sold out")
                return outcome
            await asyncio.sleep(rng.uniform(3, 10))  # reading the calendar, choosing a time
            kind, _ = await attempt(client, scenario, rng.choice(slots), citizen, outcome)
            tries += 1
            if kind == "BookingConfirmation":
                outcome.seats = 1
                return outcome
            if kind == "LimitExceeded":
                return outcome
            await asyncio.sleep(rng.uniform(2, 4))  # "this time has just been taken": a moment, then again
    return outcome


async def bot(scenario: Scenario, number: int, block: int, addresses: int, identities: int) -> Outcome:
    """Round-robin over its addresses, a new invented identity after each seat won, never pausing."""
    outcome = Outcome()
    sources = [loopback(block, number * addresses + n) for n in range(addresses)]
    clients = [bound_client(scenario.base, source, timeout=60, connections=1) for source in sources]
    try:
        if scenario.draw:
            await bot_entries(scenario, clients, number, identities, outcome)
            return outcome
        used, turn = 0, 0
        while used < identities and time.time() < scenario.deadline:
            client = clients[turn % len(clients)]
            turn += 1
            slots = await free_slots(client, scenario, outcome)
            if slots is None:
                continue
            if not slots:
                outcome.count("sold out")
                break
            citizen = identity("bot", number * identities + used)
            # spread over the free slots, so that the bots do not race each other for the first one
            kind, _ = await attempt(client, scenario, slots[turn % len(slots)], citizen, outcome)
            if kind == "BookingConfirmation":
                outcome.seats += 1
                used += 1
            elif kind == "LimitExceeded":
                used += 1  # that identity is spent: the next one
    finally:
        for client in clients:
            await client.aclose()
    return outcome


async def bot_entries(
    scenario: Scenario, clients: list[httpx.AsyncClient], number: int, identities: int, outcome: Outcome
) -> None:
    """Every invented identity enters the draw, round-robin over the addresses, as fast as answered; an address
    refused for its entries (LimitExceeded) is dropped, and so is a rate-limited one (429) unless its wait is
    short: a bot does not sit out minutes."""
    live = list(clients)
    used = 0
    while used < identities and live and time.time() < scenario.deadline:
        client = live[used % len(live)]
        kind, answer = await enter(client, scenario, identity("bot", number * identities + used), outcome)
        if kind == "refused" and float(answer["refused"]) <= SHORT_WAIT_SECONDS:
            await asyncio.sleep(float(answer["refused"]))
            continue
        if kind in ("refused", "LimitExceeded"):
            live.remove(client)  # this address has made all the entries it may; the identity tries another
            continue
        used += 1


def merged(outcomes: list[Outcome]) -> dict[str, Any]:
    answers: dict[str, int] = {}
    for outcome in outcomes:
        for what, count in outcome.answers.items():
            answers[what] = answers.get(what, 0) + count
    return {
        "seats": sum(o.seats for o in outcomes),
        "with_a_seat": sum(1 for o in outcomes if o.seats),
        "requests": sum(o.requests for o in outcomes),
        "refused_429": sum(o.refused for o in outcomes),
        "challenges_solved": sum(o.challenges_solved for o in outcomes),
        "solve_cpu_seconds": round(sum(o.solve_seconds for o in outcomes), 2),
        "answers": answers,
    }


async def run_bots(plan: dict[str, Any]) -> dict[str, Any]:
    scenario = Scenario(**plan["scenario"])
    outcomes = await asyncio.gather(
        *(
            bot(scenario, plan["first"] + n, plan["block"], plan["addresses"], plan["identities"])
            for n in range(plan["bots"])
        )
    )
    return merged(list(outcomes))


def main() -> None:
    plan = json.loads(sys.stdin.read())
    report = asyncio.run(run_bots(plan))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 2)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
