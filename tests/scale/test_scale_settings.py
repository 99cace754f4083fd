"""The scale-out settings refuse what would break at the first migration or the first pooled transaction."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.db import pooler_connect_args
from core.settings import Settings

URL = "postgresql://turnero@pgbouncer.internal:6432/turnero"


def test_pgbouncer_needs_a_direct_url_for_migrations() -> None:
    with pytest.raises(ValidationError, match="DATABASE_DIRECT_URL"):
        Settings(DATABASE_URL=URL, TURNERO_DB_POOLER="pgbouncer")
    direct = "postgresql://turnero@db.internal:5432/turnero"
    settings = Settings(DATABASE_URL=URL, TURNERO_DB_POOLER="pgbouncer", DATABASE_DIRECT_URL=direct)
    assert settings.migration_url == direct
    assert Settings(DATABASE_URL=direct).migration_url == direct


def test_an_unknown_pooler_is_refused() -> None:
    with pytest.raises(ValidationError, match="TURNERO_DB_POOLER"):
        Settings.model_validate({"DATABASE_URL": URL, "TURNERO_DB_POOLER": "odyssey"})
    with pytest.raises(ValueError, match="unknown pooler"):
        pooler_connect_args("odyssey")


def test_behind_pgbouncer_no_statement_is_cached_or_named() -> None:
    assert pooler_connect_args("none") == {}
    pooled = pooler_connect_args("pgbouncer")
    assert pooled["statement_cache_size"] == 0
    assert pooled["prepared_statement_cache_size"] == 0
    assert pooled["prepared_statement_name_func"]() == ""
