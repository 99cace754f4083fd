"""What the page tests share: the site, a real `main.py serve` on the suite's database, once per test module
(modules that need other settings define their own `site`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.settings import Settings
from tests.support.processes import serving, suite_environment


@pytest.fixture(scope="module")
def site(settings: Settings) -> Iterator[str]:
    with serving(suite_environment(settings)) as base:
        yield base
