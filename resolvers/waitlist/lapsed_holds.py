"""A citizen's hold that runs out gives its seat to the waitlist first (issue 14 part 5), as a cancellation does.

The hold itself frees its seat in SQL when it expires (resolvers/agenda/records.py held_seats), whether or not
anything runs; but while someone waits for the procedure, an expired citizen's hold keeps hiding its seat for
LAPSE_GRACE longer, so that this pass (every few seconds, jobs/waitlist.py) can offer the seat to the first
matching entry before anyone else sees it. With nobody waiting for the procedure the seat was shown again the
moment the hold expired, and with nobody matching it is shown once this pass deletes the hold.

No re-release delay for these seats: the delay hides *when* a seat frees up from whoever watches for
cancellations, but a hold's end was set when it was taken and its maker knows it, so holding the seat back
longer would hide nothing from them and only keep it from everyone else.

Expired re-release holds (nobody's, resolvers/booking/freed_seats.py) are deleted too: their seats went back when
they expired, and the rows only weigh on the table until the nightly prune. Holds for a named citizen (offers)
are the offer expiry's business and are left alone.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.agenda import slot_holds
from resolvers.agenda.records import LAPSE_GRACE_SECONDS
from resolvers.booking import seats
from resolvers.booking.freed_seats import OfferTiming, pass_on

BATCH = 100
# how long past its end an expired citizen's hold still hides its seat while someone waits for the procedure:
# well above the pass's period, so that only a stopped worker lets it show before being offered
LAPSE_GRACE = timedelta(seconds=LAPSE_GRACE_SECONDS)

# The batch's rows are ours (SKIP LOCKED: a second worker takes others); a hold's own token lookups (book,
# releaseHold) only touch live holds, so nothing waits on these rows while holding a slot.
_BATCH = (
    select(slot_holds.c.id)
    .where(slot_holds.c.document_hash.is_(None), slot_holds.c.expires_at <= func.now())
    .order_by(slot_holds.c.expires_at, slot_holds.c.id)
    .limit(bindparam("batch"))
    .with_for_update(skip_locked=True)
)
_LAPSED = (
    delete(slot_holds)
    .where(slot_holds.c.id.in_(_BATCH.scalar_subquery()))
    .returning(slot_holds.c.slot_id, slot_holds.c.rerelease, slot_holds.c.seats)
)


async def pass_on_lapsed(conn: AsyncConnection, timing: OfferTiming) -> tuple[int, int]:
    """One batch: expired nobody's-and-citizens' holds deleted, each citizen's seat (a party's hold has several)
    offered to the first matching waiting entry. (holds deleted, seats offered)."""
    rows = (await conn.execute(_LAPSED, {"batch": BATCH})).all()
    no_delay = dataclasses.replace(timing, rerelease_delay=timedelta(0))
    offered = 0
    # slots locked in ascending id, as a reschedule locks its two: two passes never wait on each other crosswise
    for slot_id in sorted(row.slot_id for row in rows if not row.rerelease for _ in range(row.seats)):
        await seats.lock_slot(conn, slot_id)  # the slot before the entry, as offers.py locks them
        if await pass_on(conn, slot_id, no_delay) is not None:
            offered += 1
    return len(rows), offered
