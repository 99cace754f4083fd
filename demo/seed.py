"""`python main.py seed --demo`: the demo city, through the same operations the API uses. Idempotent."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from core.runtime import AppState, open_state
from core.security import derived_secret
from core.settings import Settings
from demo.city_data import OFFERINGS, OFFICES, SERVICES, DemoOffice, DemoService
from demo.city_english import LOCALE as ENGLISH
from demo.city_english import english
from models.accounts import ONE_USERNAME, DeviceKind, Role, role_grants, staff_users
from models.agenda import agendas, slots
from resolvers.accounts.passwords import new_password_hash
from resolvers.accounts.staff import issue_device_token
from resolvers.accounts.viewer import Grant, Viewer
from resolvers.agenda.agendas import AgendaInput, add_agenda
from resolvers.agenda.release import release
from resolvers.catalogue.desks import DeskInput, upsert_desk
from resolvers.catalogue.offices import OfficeInput, OpeningHoursInput, upsert_office
from resolvers.catalogue.services import ServiceInput, upsert_service
from resolvers.catalogue.translations import ServiceTranslationInput

TIMEZONE = "America/Argentina/Cordoba"
SYSTEM = Viewer(staff_user_id=0, username="seed", grants=(Grant(Role.ADMIN, None),))
DESKS_PER_OFFICE = 6
STAFFED_OFFICES = 2
WIDELY_OFFERED = 10  # offices
AGENDA_BLOCK_MINUTES = 120
# generate_series makes the planner's estimates huge, so PostgreSQL JIT-compiles the demo's bulk statements, and
# compiling took longer than running them (1.7 of 2.1 s for one office's release). Off for the transaction only.
NO_JIT = select(func.set_config("jit", "off", True))


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    password: str
    role: Role
    office_slug: str | None


def progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


async def _services(conn: AsyncConnection, progress: Progress) -> dict[str, int]:
    ids: dict[str, int] = {}
    task = progress.add_task("procedures", total=len(SERVICES))
    for service in SERVICES:
        record = await upsert_service(conn, SYSTEM, _service_input(service), default_language=DEMO_LANGUAGE)
        ids[service.slug] = record.id
        progress.advance(task)
    return ids


# the language the demo city's procedures are written in (the Spanish of Córdoba); English comes as translations
DEMO_LANGUAGE = "es"


def _service_input(service: DemoService) -> ServiceInput:
    return ServiceInput(
        slug=service.slug,
        name=service.name,
        duration_minutes=service.duration_minutes,
        description=service.description,
        category=service.category,
        required_documents=list(service.required_documents),
        walk_in_allowed=service.walk_in_allowed,
        booking_window_days=service.booking_window_days,
        ticket_prefix=service.ticket_prefix,
        max_active_bookings_per_citizen=service.max_active_bookings_per_citizen,
        keywords=list(service.keywords),
        translations=[_in_english(service)],
    )


def _in_english(service: DemoService) -> ServiceTranslationInput:
    text = english(service)
    return ServiceTranslationInput(
        locale=ENGLISH,
        name=text.name,
        description=text.description,
        category=text.category,
        required_documents=list(text.required_documents),
        keywords=list(text.keywords),
    )


async def _offices(conn: AsyncConnection, progress: Progress) -> dict[str, int]:
    ids: dict[str, int] = {}
    task = progress.add_task("offices", total=len(OFFICES))
    for office in OFFICES:
        record = await upsert_office(
            conn,
            SYSTEM,
            OfficeInput(
                slug=office.slug,
                name=office.name,
                timezone=TIMEZONE,
                address=office.address,
                latitude=office.latitude,
                longitude=office.longitude,
                opening_hours=[OpeningHoursInput(w, o, c) for w, o, c in office.opening_hours],
            ),
        )
        ids[office.slug] = record.id
        progress.advance(task)
    return ids


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _agenda_hours(office: DemoOffice, position: int) -> tuple[list[int], str, str]:
    """A block of the office's day for one procedure: desks are shared, so procedures take turns.

    Release keeps only the slots inside the office's opening hours (Saturdays are shorter).
    """
    weekdays = sorted({w for w, _, _ in office.opening_hours})
    opens = min(_minutes(o) for _, o, _ in office.opening_hours)
    closes = max(_minutes(c) for _, _, c in office.opening_hours)
    start = opens + AGENDA_BLOCK_MINUTES * (position % 3)
    if start + AGENDA_BLOCK_MINUTES > closes:
        start = max(opens, closes - AGENDA_BLOCK_MINUTES)
    return weekdays, _hhmm(start), _hhmm(min(closes, start + AGENDA_BLOCK_MINUTES))


def _agenda_weekdays(open_days: list[int], service_slug: str, offered_at: int, position: int) -> list[int]:
    """Procedures offered widely are served every day an office opens; specialised ones two or three days."""
    if offered_at >= WIDELY_OFFERED or len(open_days) <= 2:
        return open_days
    count = 2 + (len(service_slug) + position) % 2
    return sorted({open_days[(position + step * 2) % len(open_days)] for step in range(count)})


async def _agendas(
    conn: AsyncConnection, progress: Progress, offices: dict[str, int], services: dict[str, int]
) -> None:
    existing = {(row[0], row[1]) for row in await conn.execute(select(agendas.c.office_id, agendas.c.service_id))}
    durations = {s.slug: s.duration_minutes for s in SERVICES}
    reach = {s.slug: sum(s.slug in offered for offered in OFFERINGS.values()) for s in SERVICES}
    task = progress.add_task("agendas", total=sum(len(v) for v in OFFERINGS.values()))
    for office in OFFICES:
        for position, slug in enumerate(OFFERINGS[office.slug]):
            open_days, start, end = _agenda_hours(office, position)
            if (offices[office.slug], services[slug]) not in existing:
                # longer procedures are served at two desks at once
                capacity = 1 if durations[slug] <= 20 else 2
                await add_agenda(
                    conn,
                    SYSTEM,
                    AgendaInput(
                        office_id=str(offices[office.slug]),
                        service_id=str(services[slug]),
                        weekdays=_agenda_weekdays(open_days, slug, reach[slug], position),
                        start_time=start,
                        end_time=end,
                        slot_minutes=durations[slug],
                        capacity=capacity,
                        valid_from=date.today(),
                    ),
                )
            progress.advance(task)


async def _desks(conn: AsyncConnection, progress: Progress, offices: dict[str, int], services: dict[str, int]) -> None:
    task = progress.add_task("desks", total=len(OFFICES))
    for office in OFFICES:
        offered = OFFERINGS[office.slug]
        for number in range(DESKS_PER_OFFICE):
            # every desk serves a share of the office's procedures; neighbouring desks overlap
            share = [services[s] for i, s in enumerate(offered) if i % DESKS_PER_OFFICE in (number, number - 1)]
            await upsert_desk(
                conn,
                SYSTEM,
                DeskInput(
                    office_id=str(offices[office.slug]),
                    name=f"Box {number + 1}",
                    service_ids=[str(i) for i in share or [services[offered[0]]]],
                ),
            )
        progress.advance(task)


def demo_accounts(secret_key: bytes) -> list[DemoAccount]:
    accounts = [DemoAccount("admin", derived_secret(secret_key, "demo:admin", 16), Role.ADMIN, None)]
    # the city's 0800 line: an OPERATOR of every office
    accounts.append(
        DemoAccount("operator.0800", derived_secret(secret_key, "demo:operator.0800", 16), Role.OPERATOR, None)
    )
    for office in OFFICES[:STAFFED_OFFICES]:
        for role, count in ((Role.MANAGER, 1), (Role.CLERK, 2), (Role.OPERATOR, 1)):
            for number in range(1, count + 1):
                name = f"{role.value.lower()}{number if count > 1 else ''}.{office.slug}"
                accounts.append(DemoAccount(name, derived_secret(secret_key, f"demo:{name}", 16), role, office.slug))
    return accounts


async def _staff(conn: AsyncConnection, accounts: list[DemoAccount], offices: dict[str, int]) -> None:
    for account in accounts:
        user_id = (
            await conn.execute(
                insert(staff_users)
                # the demo's passwords meet the same rules as everybody's
                .values(
                    username=account.username, password_hash=await new_password_hash(account.password, account.username)
                )
                .on_conflict_do_nothing(index_elements=ONE_USERNAME.expressions)
                .returning(staff_users.c.id)
            )
        ).scalar()
        if user_id is not None:
            await conn.execute(
                insert(role_grants).values(
                    staff_user_id=user_id,
                    role=account.role,
                    office_id=offices[account.office_slug] if account.office_slug else None,
                ),
            )


def _device_token(secret_key: bytes, kind: DeviceKind, office_slug: str) -> str:
    return "td_" + derived_secret(secret_key, f"demo:{kind.value}:{office_slug}", 43)


async def _devices(conn: AsyncConnection, secret_key: bytes, offices: dict[str, int]) -> None:
    for office in OFFICES:
        for kind in DeviceKind:
            await issue_device_token(
                conn,
                SYSTEM,
                secret_key,
                str(offices[office.slug]),
                kind,
                f"{kind.value.title()} {office.name}"[:100],
                token=_device_token(secret_key, kind, office.slug),
            )


async def _seed(state: AppState, console: Console) -> tuple[dict[str, int], int]:
    with progress_bar(console) as progress:
        async with state.engine.begin() as conn:
            await conn.execute(NO_JIT)
            services = await _services(conn, progress)
            offices = await _offices(conn, progress)
            await _agendas(conn, progress, offices, services)
            await _desks(conn, progress, offices, services)
            await _staff(conn, demo_accounts(state.secret_key), offices)
            await _devices(conn, state.secret_key, offices)
        task = progress.add_task("slots (60 days)", total=1)
        async with state.engine.begin() as conn:
            await conn.execute(NO_JIT)
            report = await release(conn, None, None)
        progress.advance(task)
    return offices, report.created


def print_accounts(console: Console, accounts: Sequence[DemoAccount]) -> None:
    # plain lines, never wrapped: people copy these into a browser
    for account in accounts:
        scope = account.office_slug or "every office"
        console.print(
            f"  {account.username:<40} {account.password}  {account.role.value:<8} {scope}",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )


def write_credentials(path: Path, secret_key: bytes, offices: dict[str, int], base_url: str) -> Path:
    """Every demo account, and every office's kiosk and display token with its screen's address, to one file
    (mode 0600: passwords and tokens) instead of a hundred lines on the terminal."""
    lines = ["# The demo city's accounts and device tokens (Authorization: Bearer <token>).", "", "Accounts:"]
    lines += [
        f"  {a.username:<40} {a.password}  {a.role.value:<8} {a.office_slug or 'every office'}"
        for a in demo_accounts(secret_key)
    ]
    lines += ["", "Devices, per office:"]
    for office in OFFICES:
        lines.append(f"  {office.slug} (office {offices[office.slug]})")
        lines += [f"    {kind.value:<8} {_device_token(secret_key, kind, office.slug)}" for kind in DeviceKind]
        lines.append(f"    screen   {display_url(base_url, secret_key, offices, office.slug)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    return path


def display_url(base_url: str, secret_key: bytes, offices: dict[str, int], office_slug: str) -> str:
    token = _device_token(secret_key, DeviceKind.DISPLAY, office_slug)
    return f"{base_url.rstrip('/')}/display/{offices[office_slug]}?token={token}"


def credentials_path(settings: Settings) -> Path:
    return settings.data_dir / "demo-tokens.txt"


async def seed_demo(settings: Settings, console: Console | None = None) -> dict[str, int]:
    """Loads the demo city; its offices' IDs by slug."""
    console = console or Console()
    async with open_state(settings, application_name="turnero-seed") as state:
        offices, created = await _seed(state, console)
        async with state.engine.connect() as conn:
            total = (await conn.execute(select(func.count()).select_from(slots))).scalar_one()
    console.print(
        f"demo city: {len(OFFICES)} offices, {len(SERVICES)} procedures, {created} new slots ({total} in all)"
    )
    return offices
