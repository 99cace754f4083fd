"""The garbage collector of a serving process, tuned once it has started.

A process holding thousands of live subscriptions tracks over a million objects, and a full collection
over them takes 0.5-1 s, during which no screen hears of a call (docs/performance.md, live queue fan-out).
Two things make full collections rarer without switching any off: what start-up built (the schema, the
mappers, the pools) is frozen out of every later collection, and the young generation is collected every
YOUNG_THRESHOLD allocations instead of 700, so the objects of an event or a request are mostly gone before
a collection would promote them to the old generation. Full collections still come when the old
generation grows by a quarter (CPython's rule), so cyclic garbage is still freed.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000


def tune() -> None:
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
