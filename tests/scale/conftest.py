"""A real primary and hot standby (tests/support/replication.py) and a `serve` reading the standby, for each test
module of tests/scale that asks for them (module-scoped: each module gets a pair of its own)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.db import migrate
from core.settings import Settings
from tests.support.processes import serving, suite_environment
from tests.support.replication import Pair, primary_and_replica


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    with primary_and_replica() as running:
        migrate(running.primary_url)
        yield running


@pytest.fixture(scope="module")
def server(pair: Pair, settings: Settings) -> Iterator[str]:
    env = suite_environment(settings, DATABASE_URL=pair.primary_url, DATABASE_READ_URL=pair.replica_url)
    with serving(env) as base:
        yield base
