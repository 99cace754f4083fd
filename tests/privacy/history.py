"""A year of the demo city's history at one office (demo/history.py), with every personal field filled in:
the simulation writes names only, so e-mails, phones, hashes, notes and comments are added here, and waitlist
entries, draw entries, companions and remote tickets spread over the same year."""

from __future__ import annotations

from rich.console import Console
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.runtime import AppState
from core.settings import Settings
from demo.history import seed_history
from demo.seed import seed_demo

OFFICE = "cpc-colon"
DAYS = 365

# each statement fills one table's personal columns for every simulated row
_FILL = (
    """UPDATE bookings SET citizen_email = 'persona' || id || '@example.org',
           citizen_phone = '+5493515' || lpad(CAST(id AS text), 6, '0'),
           email_hash = sha256(convert_to('e' || id, 'UTF8')), phone_hash = sha256(convert_to('p' || id, 'UTF8')),
           name_hash = sha256(convert_to('n' || id, 'UTF8'))""",
    "UPDATE feedback SET comment = 'Muy buena atención, saludos de ' || id",
    "UPDATE tickets SET note = 'Trae fotocopia ' || id",
    """INSERT INTO booking_companions (booking_id, position, name, document_hash, document_hint, email_hash)
       SELECT id, 1, 'Acompañante ' || id, sha256(convert_to('cd' || id, 'UTF8')), '***' || right(CAST(id AS text), 4),
              sha256(convert_to('ce' || id, 'UTF8'))
       FROM bookings WHERE id % 5 = 0""",
    """INSERT INTO remote_tickets (ticket_id, origin, citizen_name, citizen_email, citizen_phone, email_hash)
       SELECT id, 'HOME', 'Remoto ' || id, 'remoto' || id || '@example.org',
              '+5493516' || lpad(CAST(id AS text), 6, '0'), sha256(convert_to('re' || id, 'UTF8'))
       FROM tickets WHERE id % 7 = 0""",
    """INSERT INTO waitlist_entries (service_id, from_date, to_date, status, citizen_name, citizen_email, citizen_phone,
           document_hash, document_hint, email_hash, manage_nonce, manage_token_hash, created_at)
       SELECT (SELECT min(id) FROM services), day - 10, day, 'EXPIRED', 'Espera ' || n, 'espera' || n || '@example.org',
              '+5493517' || lpad(CAST(n AS text), 6, '0'), sha256(convert_to('wd' || n, 'UTF8')), '***' || n % 10000,
              sha256(convert_to('we' || n, 'UTF8')), substr(sha256(convert_to('wn' || n, 'UTF8')), 1, 16),
              sha256(convert_to('wt' || n, 'UTF8')), day - 10
       FROM generate_series(1, :days) AS n, LATERAL (SELECT CAST(now() AS date) - n + 3 AS day) d""",
    """INSERT INTO draws (service_id, opens_at, closes_at, status)
       VALUES ((SELECT min(id) FROM services), now() - interval '400 days', now() - interval '399 days', 'DRAWN')""",
    """INSERT INTO draw_entries (draw_id, from_date, to_date, status, citizen_name, citizen_email, citizen_phone,
           document_hash, document_hint, phone_hash, manage_nonce, manage_token_hash, created_at)
       SELECT (SELECT min(id) FROM draws), day - 5, day, 'WITHDRAWN', 'Sorteo ' || n, 'sorteo' || n || '@example.org',
              '+5493518' || lpad(CAST(n AS text), 6, '0'), sha256(convert_to('dd' || n, 'UTF8')), '***' || n % 10000,
              sha256(convert_to('dp' || n, 'UTF8')), substr(sha256(convert_to('dn' || n, 'UTF8')), 1, 16),
              sha256(convert_to('dt' || n, 'UTF8')), day - 5
       FROM generate_series(1, :days) AS n, LATERAL (SELECT CAST(now() AS date) - n + 3 AS day) d""",
)


async def fill_personal(conn: AsyncConnection, days: int = DAYS) -> None:
    """Every personal column of the simulated rows filled, and `days` waitlist and draw entries (one a day)."""
    for statement in _FILL:
        await conn.execute(text(statement), {"days": days})


async def year_of_history(settings: Settings, state: AppState) -> None:
    quiet = Console(quiet=True)
    await seed_demo(settings, quiet)
    await seed_history(settings, DAYS, [OFFICE], quiet)
    async with state.engine.begin() as conn:
        await fill_personal(conn)
