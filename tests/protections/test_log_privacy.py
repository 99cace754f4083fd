"""A statement that fails with a citizen's data in it, through a real `serve` whose every log line is kept:
the fault is logged (with its request id, class and constraint), and no line holds the citizen's name,
e-mail, phone or document number, the caller's token, or the request's idempotency key."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiosmtplib
import httpx
import pytest
from sqlalchemy import text

from core.log_privacy import WithholdPersonalData
from core.runtime import AppState
from core.settings import Settings
from tests.support.api import Api
from tests.support.booking import BOOK, bookable_slots
from tests.support.processes import serving, suite_environment

pytestmark = pytest.mark.slow

NAME = "Zoë Secretperson"
EMAIL = "zoe.secretperson@example.org"
PHONE = "351 777-0199"
DOCUMENT = "29876543"
KEY = "idem-7c1e4b1f-secret"


@pytest.fixture
def logged_server(settings: Settings, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`python main.py serve` with everything it writes, on both streams, kept in a file."""
    log = tmp_path / "serve.log"
    env = suite_environment(
        settings,
        TURNERO_LOG_FORMAT="json",
    )
    with log.open("w") as output, serving(env, output=output) as base:
        yield base, log


@pytest.fixture
async def refusing_table(state: AppState) -> AsyncIterator[None]:
    """The bookings table refuses this citizen, as a constraint the application does not check first would:
    PostgreSQL's error then carries the whole row ("Failing row contains (…)")."""
    async with state.engine.begin() as conn:
        await conn.execute(
            text(f"ALTER TABLE bookings ADD CONSTRAINT test_refuses_citizen CHECK (citizen_name <> '{NAME}')")
        )
    yield
    async with state.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE bookings DROP CONSTRAINT test_refuses_citizen"))


async def test_a_failed_statement_logs_no_personal_data(
    api: Api, admin_token: str, logged_server: tuple[str, Path], refusing_table: None
) -> None:
    base, log = logged_server
    slot = (await bookable_slots(api, admin_token))[0]
    citizen = {"name": NAME, "documentId": DOCUMENT, "email": EMAIL, "phone": PHONE, "locale": "es"}
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        response = await http.post(
            "/graphql",
            json={"query": BOOK, "variables": {"i": {"slotId": slot, "citizen": citizen, "idempotencyKey": KEY}}},
            headers={"Authorization": f"Bearer {admin_token}"},
        )
        # the same data written into the document itself, where strawberry's own error log would quote it
        inline = (
            BOOK.replace("$i: BookInput!", "")
            .replace("mutation()", "mutation")
            .replace(
                "book(input: $i)",
                f'book(input: {{slotId: "{slot}", idempotencyKey: "{KEY}x", citizen: {{name: "{NAME}", '
                f'documentId: "{DOCUMENT}", email: "{EMAIL}", phone: "{PHONE}"}}}})',
            )
        )
        inline_response = await http.post(
            "/graphql", json={"query": inline}, headers={"Authorization": f"Bearer {admin_token}"}
        )
    for answer in (response, inline_response):
        errors = answer.json().get("errors") or []
        assert [error["extensions"]["code"] for error in errors] == ["INTERNAL_SERVER_ERROR"], answer.text

    lines = log.read_text().splitlines()
    faults = [json.loads(line) for line in lines if line.startswith("{") and '"fault' in line]
    assert len(faults) == 2, lines[-20:]
    # what is left to go on: the request id, the error's class and the constraint
    assert "test_refuses_citizen" in faults[0]["exception"]
    assert "23514" in faults[0]["exception"]
    secrets = [NAME, "Secretperson", EMAIL, PHONE, "7770199", DOCUMENT, admin_token, KEY]
    leaks = [(secret, line) for line in lines for secret in secrets if secret in line]
    assert not leaks, leaks[:5]


def test_an_smtp_refusal_is_logged_without_the_recipient() -> None:
    """The worker logs a failed send with its error; the SMTP client's error quotes the address."""
    kept = io.StringIO()
    handler = logging.StreamHandler(kept)
    handler.addFilter(WithholdPersonalData())
    logger = logging.getLogger("tests.log_privacy")
    logger.addHandler(handler)
    refused = aiosmtplib.SMTPRecipientRefused(550, "5.1.1 <zoe.secretperson@example.org>: no such user", EMAIL)
    try:
        logger.warning("outbox %s attempt %d failed: %r", 7, 1, refused)
        try:
            raise aiosmtplib.SMTPRecipientsRefused([refused])
        except aiosmtplib.SMTPException as error:
            raise RuntimeError("the send failed") from error
    except RuntimeError:
        logger.exception("delivery run failed")
    finally:
        logger.removeHandler(handler)
    written = kept.getvalue()
    assert "SMTPRecipientRefused (code=550; message withheld)" in written
    assert "SMTPRecipientsRefused" in written
    assert "RuntimeError: the send failed" in written
    assert "Secretperson" not in written
