"""The draw job: every draw whose window has closed is drawn, one transaction each (resolvers/draws/run.py)."""

from __future__ import annotations

import logging
import sys

from core.errors import DomainError
from core.runtime import open_state
from core.settings import Settings
from jobs.context import JobContext, state
from resolvers.draws.replay import replay
from resolvers.draws.run import run_due

logger = logging.getLogger("turnero.jobs")

DRAW_BATCH = 20  # draws per run: one per DRAW service and night; the next run takes any left


async def run_draws(ctx: JobContext) -> dict[str, int]:
    """SKIP LOCKED: two workers running this at once each draw different draws, and none twice."""
    app = state(ctx)
    drawn = 0
    while drawn < DRAW_BATCH:
        async with app.engine.begin() as conn:
            report = await run_due(conn, app.settings.secret_key, app.settings.confirm_minutes)
        if report is None:
            break
        logger.info(
            "draw %d: %d of %d entries won a seat, %d waitlisted",
            report.draw_id,
            report.won,
            report.entries,
            report.waitlisted,
        )
        drawn += 1
    return {"drawn": drawn}


async def replay_draw(settings: Settings, draw_id: int) -> int:
    """`python main.py replay-draw DRAW_ID`: the draw again from its seed; 0 when it matches what was given."""
    async with open_state(settings, application_name="turnero-cli") as app, app.engine.connect() as conn:
        try:
            record = await replay(conn, draw_id)
        except DomainError as error:
            print(f"replay-draw: {error}", file=sys.stderr)
            return 2
    print(f"draw {draw_id}: seed {record.seed.hex()}")
    for entry_id, slot_id in record.replayed:
        recorded = record.recorded.get(entry_id)
        mark = "" if recorded == slot_id else f"  DIFFERS: recorded {recorded}"
        print(f"entry {entry_id}: {'slot ' + str(slot_id) if slot_id is not None else 'no seat'}{mark}")
    print("matches" if record.matches else "DIFFERS from the recorded result")
    return 0 if record.matches else 1
