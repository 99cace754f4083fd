"""The proof-of-work challenge for automation (issue 14, part 2) through two real `serve` processes with the
real default free allowance (2 anonymous bookings a day per address): where each policy asks for a challenge,
that a solution is accepted once and before it expires, that forged and wrong ones are refused, that staff
are exempt, and that a burst from one address gets no more free bookings than the allowance.

Challenges are solved with the `altcha` package's own solver, as a client would."""

from __future__ import annotations

import base64
import json
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from altcha.v1 import Challenge as AltchaChallenge
from altcha.v1 import ChallengeOptions, Payload, create_challenge, solve_challenge
from redis.asyncio import Redis

from core.runtime import AppState
from core.settings import Settings
from models.catalogue import ChallengePolicy
from resolvers.accounts.viewer import ANONYMOUS
from resolvers.booking.challenge import (
    CHALLENGE_SECONDS,
    DIFFICULTY,
    ChallengeRequiredError,
    IssuedChallenge,
    hmac_key,
    require_challenge,
)
from tests.support.api import Api
from tests.support.booking import bookable_slots, citizen, scalar
from tests.support.processes import at_once, serving, suite_environment

pytestmark = pytest.mark.slow

BOOK = """mutation($i: BookInput!) { book(input: $i) { __typename
    ... on BookingConfirmation { booking { code channel } }
    ... on ChallengeRequired { code message challenge { algorithm challenge salt signature maxNumber } }
    ... on UserError { code message } } }"""
CHALLENGE = "{ bookingChallenge { algorithm challenge salt signature maxNumber } }"
SERVICE = "query($id: ID!) { service(id: $id) { challengePolicy } }"


@pytest.fixture(scope="module")
def default_servers(settings: Settings) -> Iterator[list[str]]:
    """Two `serve` processes with the suite's generous rates but the real default challenge allowance."""
    env = suite_environment(settings)
    del env["TURNERO_CHALLENGE_FREE_BOOKINGS"]
    with serving(env) as first, serving(env) as second:
        yield [first, second]


async def graphql(base: str, query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        response = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


async def book(base: str, slot_id: str, document: str, challenge: str | None = None, token: str | None = None) -> Any:
    fields: dict[str, Any] = {"slotId": slot_id, "citizen": citizen(document)}
    if challenge is not None:
        fields["challenge"] = challenge
    return await graphql(base, BOOK, {"i": fields}, token)


def solve(challenge: dict[str, Any]) -> str:
    """The base64 ALTCHA payload a client sends: the number found by the package's solver."""
    found = AltchaChallenge(
        challenge["algorithm"],
        challenge["challenge"],
        challenge["maxNumber"],
        challenge["salt"],
        challenge["signature"],
    )
    solution = solve_challenge(found)
    assert solution is not None, challenge
    return Payload(found.algorithm, found.challenge, solution.number, found.salt, found.signature).to_base64()


def as_given(made: AltchaChallenge | IssuedChallenge) -> dict[str, Any]:
    """A challenge made here as the API would give it."""
    return {
        "algorithm": made.algorithm,
        "challenge": made.challenge,
        "salt": made.salt,
        "signature": made.signature,
        "maxNumber": made.max_number,
    }


def edited(payload: str, **changes: Any) -> str:
    data = json.loads(base64.b64decode(payload))
    return base64.b64encode(json.dumps(data | changes).encode()).decode()


def expires_at(challenge: dict[str, Any]) -> float:
    query = challenge["salt"].split("?", 1)[1]
    return float(dict(part.split("=") for part in query.strip("&").split("&"))["expires"])


async def test_always_asks_every_anonymous_booking_and_accepts_a_solution_once(
    api: Api, admin_token: str, state: AppState, default_servers: list[str]
) -> None:
    first, second = default_servers
    slots = await bookable_slots(api, admin_token, capacity=5, challengePolicy="ALWAYS")

    asked = await book(first, slots[0], "30111001")
    solved = solve(asked["challenge"])
    booked = await book(second, slots[0], "30111001", solved)  # another process: nothing is kept per process
    reused = await book(first, slots[1], "30111002", solved)
    again = await book(first, slots[1], "30111002", solve(reused["challenge"]))

    assert asked["__typename"] == "ChallengeRequired", asked
    assert asked["code"] == "CHALLENGE_REQUIRED"
    assert asked["challenge"]["algorithm"] == "SHA-256"
    assert asked["challenge"]["maxNumber"] == DIFFICULTY[0][1]
    assert 0 < expires_at(asked["challenge"]) - time.time() <= CHALLENGE_SECONDS
    assert booked["__typename"] == "BookingConfirmation", booked
    assert reused["__typename"] == "ChallengeRequired", reused
    assert "ya se usó" in reused["message"]  # the citizen's locale (es) wins
    assert reused["challenge"]["signature"] != asked["challenge"]["signature"]  # a fresh one to solve
    assert again["__typename"] == "BookingConfirmation", again
    assert await scalar(state, "SELECT count(*) FROM bookings") == 2


async def test_forged_wrong_and_malformed_answers_are_refused_and_book_nothing(
    api: Api, admin_token: str, state: AppState, default_servers: list[str]
) -> None:
    base = default_servers[0]
    slots = await bookable_slots(api, admin_token, capacity=5, challengePolicy="ALWAYS")
    genuine = solve(await graphql(base, CHALLENGE))
    number = json.loads(base64.b64decode(genuine))["number"]
    signature = json.loads(base64.b64decode(genuine))["signature"]
    foreign = create_challenge(ChallengeOptions(max_number=1000, hmac_key=b"somebody else's key" * 2))
    foreign_solution = solve(as_given(foreign))
    answers = {
        "wrong number": edited(genuine, number=number + 1),
        "forged signature": edited(genuine, signature=("0" if signature[0] != "0" else "1") + signature[1:]),
        "another key's challenge": foreign_solution,
        "number as text": edited(genuine, number=str(number)),
        "not base64": "this is not a payload!",
        "not an object": base64.b64encode(b"[1, 2, 3]").decode(),
        "nested past reason": base64.b64encode(b"[" * 7000).decode(),
    }

    refused = {name: await book(base, slots[0], "30222001", answer) for name, answer in answers.items()}
    accepted = await book(base, slots[0], "30222001", genuine)  # the refusals did not use the genuine one up

    for name, result in refused.items():
        assert result["__typename"] == "ChallengeRequired", (name, result)
        assert result["challenge"]["signature"], name
    assert "no resuelve" in refused["wrong number"]["message"]
    assert "no resuelve" in refused["forged signature"]["message"]
    assert "no es un resultado ALTCHA" in refused["not base64"]["message"]
    assert accepted["__typename"] == "BookingConfirmation", accepted
    assert await scalar(state, "SELECT count(*) FROM bookings") == 1


async def test_an_expired_solution_is_refused(
    api: Api, admin_token: str, state: AppState, settings: Settings, default_servers: list[str]
) -> None:
    base = default_servers[0]
    slots = await bookable_slots(api, admin_token, challengePolicy="ALWAYS")
    # signed with the server's own key, so only its expiry is wrong
    expired = create_challenge(
        ChallengeOptions(
            max_number=1000,
            hmac_key=hmac_key(settings.secret_key),
            expires=datetime.now(UTC) - timedelta(seconds=1),
        )
    )
    answer = solve(as_given(expired))

    result = await book(base, slots[0], "30333001", answer)

    assert result["__typename"] == "ChallengeRequired", result
    assert "venció" in result["message"]
    assert await scalar(state, "SELECT count(*) FROM bookings") == 0


async def test_adaptive_gives_an_address_its_free_bookings_then_asks_and_never_never_asks(
    api: Api, admin_token: str, state: AppState, default_servers: list[str]
) -> None:
    first, second = default_servers
    adaptive = await bookable_slots(api, admin_token, capacity=10)  # a new service's policy: ADAPTIVE
    never = await bookable_slots(
        api, admin_token, capacity=10, service_slug="never", office_slug="norte", challengePolicy="NEVER"
    )
    service_id = await api.service(admin_token)

    free = [await book(base, adaptive[0], f"3044400{n}") for n, base in enumerate([first, second])]
    third = await book(first, adaptive[0], "30444003")
    solved = await book(second, adaptive[0], "30444003", solve(third["challenge"]))
    unasked = [await book(first, never[0], f"3055500{n}") for n in range(4)]

    assert (await graphql(first, SERVICE, {"id": service_id}))["challengePolicy"] == "ADAPTIVE"
    assert [result["__typename"] for result in free] == ["BookingConfirmation"] * 2
    assert third["__typename"] == "ChallengeRequired", third
    assert "las 2 reservas diarias" in third["message"]  # the citizen's locale (es) wins
    assert solved["__typename"] == "BookingConfirmation", solved
    assert [result["__typename"] for result in unasked] == ["BookingConfirmation"] * 4
    assert await scalar(state, "SELECT count(*) FROM bookings") == 7


async def test_a_burst_from_one_address_gets_only_the_free_bookings(
    api: Api, admin_token: str, state: AppState, default_servers: list[str]
) -> None:
    slots = await bookable_slots(api, admin_token, capacity=30)
    requests = [
        {"query": BOOK, "variables": {"i": {"slotId": slots[0], "citizen": citizen(f"3066{n:04d}")}}} for n in range(20)
    ]

    results = await at_once(default_servers, requests)

    assert Counter(result["__typename"] for result in results) == {"BookingConfirmation": 2, "ChallengeRequired": 18}
    assert await scalar(state, "SELECT count(*) FROM bookings") == 2


async def test_one_solution_sent_at_once_to_two_processes_books_once(
    api: Api, admin_token: str, state: AppState, default_servers: list[str]
) -> None:
    slots = await bookable_slots(api, admin_token, capacity=30, challengePolicy="ALWAYS")
    solved = solve(await graphql(default_servers[0], CHALLENGE))
    requests = [
        {
            "query": BOOK,
            "variables": {"i": {"slotId": slots[0], "citizen": citizen(f"3077{n:04d}"), "challenge": solved}},
        }
        for n in range(10)
    ]

    results = await at_once(default_servers, requests)

    assert Counter(result["__typename"] for result in results) == {"BookingConfirmation": 1, "ChallengeRequired": 9}
    assert await scalar(state, "SELECT count(*) FROM bookings") == 1


async def test_staff_book_without_a_challenge(
    api: Api, admin_token: str, state: AppState, default_servers: list[str]
) -> None:
    base = default_servers[0]
    slots = await bookable_slots(api, admin_token, capacity=5, challengePolicy="ALWAYS")
    operator = await api.staff_token(admin_token, "operator.centro", "OPERATOR", await api.office(admin_token))

    by_phone = await book(base, slots[0], "30888001", token=operator)
    by_admin = await book(base, slots[0], "30888002", token=admin_token)
    anonymous = await book(base, slots[0], "30888003")

    assert by_phone["__typename"] == "BookingConfirmation", by_phone
    assert by_phone["booking"]["channel"] == "PHONE"
    assert by_admin["__typename"] == "BookingConfirmation", by_admin
    assert anonymous["__typename"] == "ChallengeRequired", anonymous
    assert await scalar(state, "SELECT count(*) FROM bookings") == 2


async def test_difficulty_grows_with_an_address_s_challenges(default_servers: list[str]) -> None:
    steps = DIFFICULTY[1][0] + 1
    handed = [await graphql(default_servers[n % 2], CHALLENGE) for n in range(steps)]

    numbers = [challenge["maxNumber"] for challenge in handed]
    assert numbers[: DIFFICULTY[1][0]] == [DIFFICULTY[0][1]] * DIFFICULTY[1][0]
    assert numbers[-1] == DIFFICULTY[1][1]
    assert len({challenge["signature"] for challenge in handed}) == steps


async def test_without_redis_adaptive_asks_everyone_and_a_solution_still_passes(settings: Settings) -> None:
    away = Redis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.5)  # nothing listens there
    key = settings.secret_key
    try:
        with pytest.raises(ChallengeRequiredError) as asked:
            await require_challenge(away, key, ANONYMOUS, "192.0.2.1", ChallengePolicy.ADAPTIVE, None)
        issued = asked.value.challenge
        answer = solve(as_given(issued))
        await require_challenge(away, key, ANONYMOUS, "192.0.2.1", ChallengePolicy.ADAPTIVE, answer)
        with pytest.raises(ChallengeRequiredError):
            await require_challenge(
                away, key, ANONYMOUS, "192.0.2.1", ChallengePolicy.ALWAYS, edited(answer, number=-1)
            )
    finally:
        await away.aclose()
    assert issued.max_number == DIFFICULTY[0][1]
    assert "cannot be counted" in asked.value.message


async def test_an_upsert_without_a_policy_keeps_the_service_s_own(api: Api, admin_token: str) -> None:
    service_id = await api.service(admin_token, slug="pasaporte", challengePolicy="ALWAYS")
    same = await api.service(admin_token, slug="pasaporte")
    other = await api.service(admin_token, slug="licencia")

    policies = [(await api.run(SERVICE, {"id": sid}))["service"]["challengePolicy"] for sid in (same, other)]

    assert same == service_id
    assert policies == ["ALWAYS", "ADAPTIVE"]


HOLD = """mutation($s: ID!, $c: String) { holdSlot(slotId: $s, challenge: $c) { __typename
    ... on SlotHold { token } ... on ChallengeRequired { challenge { algorithm challenge salt signature maxNumber } }
    ... on UserError { code message } } }"""


async def test_the_hold_is_what_asks_for_the_challenge_and_its_booking_asks_no_more(
    api: Api, admin_token: str, state: AppState, default_servers: list[str]
) -> None:
    """Holding a seat takes it, so holdSlot asks for the solved challenge; `book` with the hold's token takes
    that seat without a second one (a citizen pays the work once)."""
    first, second = default_servers
    slots = await bookable_slots(api, admin_token, capacity=5, challengePolicy="ALWAYS")

    asked = await graphql(first, HOLD, {"s": slots[0]})
    held = await graphql(second, HOLD, {"s": slots[0], "c": solve(asked["challenge"])})
    fields = {"slotId": slots[0], "citizen": citizen("30111301"), "holdToken": held["token"]}
    booked = await graphql(first, BOOK, {"i": fields})
    without_hold = await book(first, slots[0], "30111302")

    assert asked["__typename"] == "ChallengeRequired", asked
    assert held["__typename"] == "SlotHold", held
    assert booked["__typename"] == "BookingConfirmation", booked
    assert without_hold["__typename"] == "ChallengeRequired"  # a booking without a hold still asks
    assert await scalar(state, "SELECT count(*) FROM bookings") == 1
    assert await scalar(state, "SELECT count(*) FROM slot_holds WHERE expires_at > now()") == 0
