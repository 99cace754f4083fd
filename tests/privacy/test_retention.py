"""Issue 17 part 2, done when: a retention run on a year of simulated history anonymises exactly what is past
the limit, and the analytics answer the same figures before and after."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import text

from core.runtime import AppState
from core.settings import Settings
from jobs.privacy import anonymise_before
from notifications.mail.files import mail_dir
from notifications.mail.transport import write_eml
from tests.privacy.history import year_of_history
from tests.support.api import Api

# (table, the clock its retention counts from, a cut-off expression on it, the personal columns)
PERSONAL: dict[str, tuple[str, str]] = {
    "bookings": (
        "ends_at < :cutoff",
        "citizen_email IS NOT NULL OR citizen_phone IS NOT NULL OR email_hash IS NOT NULL "
        "OR phone_hash IS NOT NULL OR name_hash IS NOT NULL OR notes IS NOT NULL OR document_hint <> '' "
        "OR citizen_name <> '(anonymised)'",
    ),
    "tickets": ("issued_at < :cutoff", "note IS NOT NULL"),
    "remote_tickets": (
        "(SELECT t.issued_at FROM tickets t WHERE t.id = ticket_id) < :cutoff",
        "citizen_name IS NOT NULL OR citizen_email IS NOT NULL OR citizen_phone IS NOT NULL OR email_hash IS NOT NULL",
    ),
    "booking_companions": (
        "(SELECT b.ends_at FROM bookings b WHERE b.id = booking_id) < :cutoff",
        "name <> '(anonymised)' OR email_hash IS NOT NULL OR document_hint <> ''",
    ),
    "feedback": ("created_at < :cutoff", "comment IS NOT NULL"),
    "waitlist_entries": (
        "to_date < CAST(:cutoff AS date)",
        "citizen_email IS NOT NULL OR citizen_phone IS NOT NULL OR email_hash IS NOT NULL OR document_hint <> ''",
    ),
    "draw_entries": (
        "to_date < CAST(:cutoff AS date)",
        "citizen_email IS NOT NULL OR citizen_phone IS NOT NULL OR phone_hash IS NOT NULL OR document_hint <> ''",
    ),
}

FIGURES = """booked cancelled came noShows noShowRate walkIns served demand waitMedianMinutes waitP90Minutes
    serviceMedianMinutes serviceP90Minutes leadTimeMedianDays leadTimeP90Days ratingCount ratingAverage ratings"""
STATS = f"""query($f: StatsFilterInput!) {{ stats(filter: $f, groupBy: [MONTH, SERVICE]) {{ __typename
    ... on Stats {{ rows {{ period service {{ slug }} {FIGURES} }} totals {{ {FIGURES} }} }} }} }}"""


async def personal_rows(state: AppState, cutoff: datetime) -> dict[str, tuple[int, int, int]]:
    """Per table: rows with personal data past the cut-off, rows with personal data within it, all rows."""
    found = {}
    async with state.engine.connect() as conn:
        for table, (past, personal) in PERSONAL.items():
            row = (
                await conn.execute(
                    text(f"""SELECT count(*) FILTER (WHERE ({past}) AND ({personal})),
                                    count(*) FILTER (WHERE NOT ({past}) AND ({personal})), count(*) FROM {table}"""),
                    {"cutoff": cutoff},
                )
            ).one()
            found[table] = (row[0], row[1], row[2])
    return found


async def facts_digest(state: AppState) -> str:
    async with state.engine.connect() as conn:
        return str(
            (
                await conn.execute(
                    text("""SELECT md5(coalesce((SELECT string_agg(CAST(f AS text), '|' ORDER BY CAST(f AS text))
                                                  FROM visit_facts f), '')
                                    || coalesce((SELECT string_agg(CAST(c AS text), '|' ORDER BY CAST(c AS text))
                                                  FROM visit_counts c), ''))""")
                )
            ).scalar_one()
        )


async def year_figures(api: Api, token: str) -> list[dict[str, Any]]:
    """The year's figures by month and procedure, asked half a year at a time (the longest range stats takes)."""
    today = datetime.now(UTC).date()
    halves = []
    for start, end in ((370, 186), (185, 0)):
        window = {"from": str(today - timedelta(days=start)), "to": str(today - timedelta(days=end))}
        data = await api.run(STATS, {"f": window}, token)
        assert data["stats"]["__typename"] == "Stats", data
        halves.append(data["stats"])
    return halves


def mail_file(settings: Settings, age: timedelta, to: str) -> str:
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = "Tu turno"
    message.set_content("Hola")
    path = write_eml(mail_dir(settings.data_dir), message)
    stamp = (datetime.now(UTC) - age).timestamp()
    os.utime(path, (stamp, stamp))
    return path.name


async def test_a_retention_run_anonymises_exactly_what_is_past_the_limit(
    api: Api, state: AppState, settings: Settings, admin_token: str
) -> None:
    await year_of_history(settings, state)
    cutoff = datetime.now(UTC) - timedelta(days=settings.retention_days)
    old_mail = mail_file(settings, timedelta(days=settings.retention_days + 1), "old@example.org")
    new_mail = mail_file(settings, timedelta(days=settings.retention_days - 1), "new@example.org")
    before = await personal_rows(state, cutoff)
    figures, facts = await year_figures(api, admin_token), await facts_digest(state)
    # the simulated year reaches both sides of the cut-off in every table
    assert all(past > 0 and within > 0 for past, within, _ in before.values()), before

    report = await anonymise_before(state, cutoff, pause=0)

    after = await personal_rows(state, cutoff)
    for table, (_past, within, rows) in before.items():
        assert after[table] == (0, within, rows), table  # nothing personal left past it, nothing within touched
    for table in ("bookings", "tickets", "feedback", "waitlist_entries", "draw_entries"):
        assert report[table] >= before[table][0], (table, report)
    assert report["mail_files"] >= 1
    names = set(os.listdir(mail_dir(settings.data_dir)))
    assert old_mail not in names
    assert new_mail in names
    # the analytics answer the same figures, and their facts are the same rows
    assert await year_figures(api, admin_token) == figures
    assert await facts_digest(state) == facts

    # a rerun finds nothing to do
    again = await anonymise_before(state, cutoff)  # as the job runs it
    assert {table: again[table] for table in ("bookings", "tickets", "feedback", "waitlist_entries")} == dict.fromkeys(
        ("bookings", "tickets", "feedback", "waitlist_entries"), 0
    )
