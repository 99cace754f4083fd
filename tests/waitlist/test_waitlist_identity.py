"""One live waitlist entry per person and procedure, where a person is their document, their e-mail and their
phone (as for bookings' limits, resolvers/booking/identity.py): a new document number does not make a new
person; a burst across two processes sharing only an e-mail makes one entry; and the booking an accepted
offer makes counts against the person by e-mail and phone too."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from core.runtime import AppState
from tests.support.api import Api
from tests.support.booking import CANCEL, book, bookable_slots, citizen, scalar
from tests.waitlist.test_offers import ACCEPT
from tests.waitlist.test_waitlist import JOIN, LEAVE, procedure, wanted


def person(service: str, document: str, email: str | None, phone: str | None) -> dict[str, Any]:
    request = wanted(service, document)
    request["citizen"] = citizen(document, email=email, phone=phone)
    return request


async def join(api: Api, request: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = (await api.run(JOIN, {"i": request}))["joinWaitlist"]
    return answer


async def test_a_second_live_entry_sharing_the_e_mail_or_the_phone_is_refused(
    api: Api, admin_token: str, state: AppState
) -> None:
    _, service = await procedure(api, admin_token, state)
    first = await join(api, person(service, "30111111", "Ana.Perez+turno@gmail.com", "351 555-1234"))
    assert first["__typename"] == "WaitlistEntry", first
    same_gmail = await join(api, person(service, "30222222", "anaperez@GoogleMail.com", None))
    same_phone = await join(api, person(service, "30333333", "otra@example.org", "+54 351 555 1234"))
    someone_else = await join(api, person(service, "30444444", "ana.perez@example.org", None))

    assert same_gmail["__typename"] == "LimitExceeded", same_gmail
    assert same_phone["__typename"] == "LimitExceeded", same_phone
    assert "correo o teléfono" in same_phone["message"]  # in the citizen's language (their locale: es)
    assert someone_else["__typename"] == "WaitlistEntry", someone_else  # dots count elsewhere: another person
    # only keyed hashes of the contact keys are kept, never another copy of them
    stored = await scalar(state, "SELECT email_hash FROM waitlist_entries WHERE id = :id", id=int(first["id"]))
    assert stored is not None
    assert b"gmail" not in bytes(stored)

    # once the entry is over, the same e-mail and phone may join again
    left = (await api.run(LEAVE, {"id": first["id"], "t": first["manageToken"]}))["leaveWaitlist"]
    assert left["status"] == "LEFT"
    again = await join(api, person(service, "30555555", "anaperez@gmail.com", "+54 351 555 1234"))
    assert again["__typename"] == "WaitlistEntry", again


async def test_people_without_an_e_mail_or_a_phone_do_not_clash_on_the_missing_one(
    api: Api, admin_token: str, state: AppState
) -> None:
    _, service = await procedure(api, admin_token, state)
    for document in ("31000001", "31000002", "31000003"):
        entry = await join(api, person(service, document, f"{document}@example.org", None))
        assert entry["__typename"] == "WaitlistEntry", entry
    assert await scalar(state, "SELECT count(*) FROM waitlist_entries WHERE phone_hash IS NULL") == 3


@pytest.mark.slow
async def test_a_burst_of_joins_sharing_only_an_e_mail_across_two_processes_makes_one_entry(
    two_servers: list[str], api: Api, admin_token: str, state: AppState
) -> None:
    _, service = await procedure(api, admin_token, state)
    async with httpx.AsyncClient(timeout=30) as client:

        async def attempt(n: int) -> dict[str, Any]:
            request = person(service, f"5100{n:04d}", f"Burst+{n}@Gmail.com", None)
            body = {"query": JOIN, "variables": {"i": request}}
            answer: dict[str, Any] = (await client.post(f"{two_servers[n % 2]}/graphql", json=body)).json()
            return answer

        answers = await asyncio.gather(*(attempt(n) for n in range(20)))
    kinds = [answer["data"]["joinWaitlist"]["__typename"] for answer in answers]
    assert kinds.count("WaitlistEntry") == 1, kinds
    assert kinds.count("LimitExceeded") == 19, kinds
    assert await scalar(state, "SELECT count(*) FROM waitlist_entries") == 1


async def test_the_booking_an_accepted_offer_makes_counts_by_e_mail_and_phone(
    api: Api, admin_token: str, state: AppState
) -> None:
    slots = await bookable_slots(api, admin_token, capacity=1)  # one booking per person (the default)
    service = str(await scalar(state, "SELECT service_id FROM slots WHERE id = :id", id=int(slots[0])))
    booked = await book(api, slots[0], citizen=citizen("32000001"))
    assert booked["__typename"] == "BookingConfirmation", booked
    entry = await join(api, person(service, "32000002", "waiting@example.org", "351 555-9876"))
    cancelled = await api.run(CANCEL, {"c": booked["booking"]["code"], "t": booked["manageToken"]})
    assert cancelled["cancelBooking"]["__typename"] == "Booking"
    accepted = (await api.run(ACCEPT, {"id": entry["id"], "t": entry["manageToken"]}))["acceptOffer"]
    assert accepted["__typename"] == "BookingConfirmation", accepted

    # another document with the same phone, or the same e-mail, is the same person: already booked
    by_phone = await book(
        api, slots[1], citizen=citizen("32000003", email="other@example.org", phone="+54 351 555 9876")
    )
    by_email = await book(api, slots[1], citizen=citizen("32000004", email="Waiting@Example.org", phone=None))
    assert by_phone["__typename"] == "LimitExceeded", by_phone
    assert by_email["__typename"] == "LimitExceeded", by_email
