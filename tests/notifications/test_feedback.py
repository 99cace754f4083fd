"""The 311 loop: a completed visit's mail asks for feedback; the token in its link rates the visit once."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from core.runtime import AppState
from core.settings import Settings
from resolvers.feedback.tokens import feedback_token_hash
from tests.support.api import Api
from tests.support.booking import scalar
from tests.support.front_desk import FrontDesk, booking_due_in, front_desk
from tests.support.mail import compose_only, composed, html, link, outbox_rows, plain, subject_of

PUBLIC_URL = "https://turnos.example.gob"
SUBMIT = """mutation($t: String!, $r: Int!, $c: String) { submitFeedback(token: $t, rating: $r, comment: $c) {
    __typename ... on FeedbackReceipt { rating comment submittedAt office { id } service { slug } }
    ... on ValidationError { field } ... on UserError { code message } } }"""
ANSWERED = "SELECT count(*) FROM feedback WHERE submitted_at IS NOT NULL"


@pytest.fixture
async def front(api: Api, admin_token: str) -> FrontDesk:
    return await front_desk(api, admin_token)


@pytest.fixture
def mail_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"public_url": PUBLIC_URL})


async def served(front: FrontDesk, state: AppState, document: str = "30123456") -> str:
    """A booked citizen checked in, called, served and done; the ticket's ID."""
    code = await booking_due_in(front, state, 5, document=document)
    ticket = await front.check_in(code)
    assert ticket["__typename"] == "Ticket", ticket
    assert (await front.call())["id"] == ticket["id"]
    for move in ("startService", "completeTicket"):
        assert (await front.move(move, ticket["id"]))["status"] in {"SERVING", "DONE"}
    ticket_id: str = ticket["id"]
    return ticket_id


async def feedback_token(state: AppState, settings: Settings) -> str:
    message = await compose_only(state, settings, "ticket.completed")
    url = link(plain(message), f"{PUBLIC_URL}/feedback")
    assert link(html(message), f"{PUBLIC_URL}/feedback") == url
    parts = urlsplit(url)
    assert parts.path == "/feedback"
    assert parts.query == ""
    return parts.fragment.removeprefix("token=")


async def submit(api: Api, token: str, rating: int, comment: str | None = None) -> dict[str, Any]:
    data = await api.run(SUBMIT, {"t": token, "r": rating, "c": comment})
    result: dict[str, Any] = data["submitFeedback"]
    return result


async def test_a_completed_visit_asks_for_feedback_and_takes_it_once(
    api: Api, front: FrontDesk, state: AppState, mail_settings: Settings
) -> None:
    await served(front, state)
    message = await compose_only(state, mail_settings, "ticket.completed")
    assert subject_of(message) == "¿Cómo le atendimos en Office centro?"
    assert "Office centro" in plain(message)
    assert 'lang="es"' in html(message)
    token = await feedback_token(state, mail_settings)
    # only a keyed hash of the token is kept
    assert (
        await scalar(
            state,
            "SELECT count(*) FROM feedback WHERE token_hash = :h",
            h=feedback_token_hash(mail_settings.secret_key, token),
        )
        == 1
    )

    receipt = await submit(api, token, 5, "  Muy rápido, gracias.  ")

    assert receipt["__typename"] == "FeedbackReceipt", receipt
    assert (receipt["rating"], receipt["comment"]) == (5, "Muy rápido, gracias.")
    assert receipt["office"]["id"] == front.office_id
    assert receipt["service"]["slug"] == "dni"
    assert await scalar(state, "SELECT rating FROM feedback") == 5

    again = await submit(api, token, 1, "changed my mind")
    assert again["__typename"] == "InvalidState", again
    assert await scalar(state, "SELECT rating FROM feedback") == 5
    assert await scalar(state, "SELECT comment FROM feedback") == "Muy rápido, gracias."


async def test_a_resent_mail_carries_the_same_token(front: FrontDesk, state: AppState, mail_settings: Settings) -> None:
    await served(front, state)
    first = await feedback_token(state, mail_settings)
    assert await feedback_token(state, mail_settings) == first  # a retried outbox row asks nothing twice
    assert await scalar(state, "SELECT count(*) FROM feedback") == 1


async def test_unknown_tokens_and_bad_ratings_are_refused_and_write_nothing(
    api: Api, front: FrontDesk, state: AppState, mail_settings: Settings
) -> None:
    await served(front, state)
    token = await feedback_token(state, mail_settings)

    for wrong in ("", "nonsense", token[:-1] + ("A" if token[-1] != "A" else "B"), token + "x"):
        refused = await submit(api, wrong, 4)
        assert refused["__typename"] == "NotFound", (wrong, refused)
    for rating in (0, 6, -1):
        refused = await submit(api, token, rating)
        assert (refused["__typename"], refused["field"]) == ("ValidationError", "rating"), refused
    refused = await submit(api, token, 3, "x" * 2001)
    assert (refused["__typename"], refused["field"]) == ("ValidationError", "comment"), refused
    assert await scalar(state, ANSWERED) == 0

    accepted = await submit(api, token, 3, "x" * 2000)
    assert accepted["__typename"] == "FeedbackReceipt"
    assert accepted["comment"] == "x" * 2000
    assert await scalar(state, ANSWERED) == 1


async def test_feedback_mail_in_english_and_none_without_an_address(
    front: FrontDesk, state: AppState, mail_settings: Settings
) -> None:
    await served(front, state, document="20111222")
    await served(front, state, document="20333444")
    async with state.engine.begin() as conn:
        await conn.execute(text("UPDATE bookings SET citizen_locale = 'en' WHERE document_hint = '***1222'"))
        await conn.execute(text("UPDATE bookings SET citizen_email = NULL WHERE document_hint = '***3444'"))
    english, without_address = await outbox_rows(state, "ticket.completed")

    message = await composed(state, mail_settings, english)
    assert message is not None
    assert subject_of(message) == "How was your visit to Office centro?"
    assert link(plain(message), f"{PUBLIC_URL}/feedback#token=")
    assert await composed(state, mail_settings, without_address) is None
    assert await scalar(state, "SELECT count(*) FROM feedback") == 1  # nobody to ask, no request
