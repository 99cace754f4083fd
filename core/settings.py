"""The one settings object, read once from the environment (see OPERATIONS.md)."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    data_dir: Path = Field(default=Path("var"), alias="TURNERO_DATA_DIR")
    secret_key_value: str | None = Field(default=None, alias="TURNERO_SECRET_KEY")
    smtp_url: str | None = Field(default=None, alias="SMTP_URL")
    session_hours: int = Field(default=12, alias="TURNERO_SESSION_HOURS")
    db_pool_size: int = Field(default=10, alias="TURNERO_DB_POOL_SIZE")
    login_max_failures: int = Field(default=5, alias="TURNERO_LOGIN_MAX_FAILURES")
    login_lockout_seconds: int = Field(default=900, alias="TURNERO_LOGIN_LOCKOUT_SECONDS")
    # GraphQL operations slower than this are logged (level WARNING, logger turnero.slow)
    slow_query_ms: int = Field(default=500, alias="TURNERO_SLOW_QUERY_MS")
    # when set, GET /metrics wants `Authorization: Bearer <this>`
    metrics_token: str | None = Field(default=None, alias="TURNERO_METRICS_TOKEN")
    log_format: str = Field(default="json", alias="TURNERO_LOG_FORMAT")
    # where citizens' links (manage a booking, give feedback) point: the public web front
    public_url: str = Field(default="http://127.0.0.1:8000", alias="TURNERO_PUBLIC_URL")
    mail_from: str = Field(default="Turnero <turnos@turnero.localhost>", alias="TURNERO_MAIL_FROM")
    reminder_hours: int = Field(default=24, alias="TURNERO_REMINDER_HOURS")
    # outbox and webhook retries: base delay doubles per attempt; after max attempts the row is FAILED
    outbox_max_attempts: int = Field(default=8, alias="TURNERO_OUTBOX_MAX_ATTEMPTS")
    webhook_max_attempts: int = Field(default=8, alias="TURNERO_WEBHOOK_MAX_ATTEMPTS")
    retry_base_seconds: float = Field(default=30, alias="TURNERO_RETRY_BASE_SECONDS")
    webhook_timeout_seconds: float = Field(default=10, alias="TURNERO_WEBHOOK_TIMEOUT_SECONDS")
    # how often each worker drains the outbox (a divisor of 60), and how long a claim lasts before
    # a row that its worker never settled (it died) comes due again
    delivery_every_seconds: int = Field(default=10, alias="TURNERO_DELIVERY_EVERY_SECONDS")
    delivery_lease_seconds: float = Field(default=300, alias="TURNERO_DELIVERY_LEASE_SECONDS")
    # the live queue: how many events a subscriber may be behind before it is dropped (it resubscribes
    # with afterSeq), and whether queueEvents subscribers asking the same thing share one rendering of
    # each event (off: every subscriber's own execution, as plain strawberry does; kept as the baseline)
    queue_buffer_limit: int = Field(default=512, gt=0, alias="TURNERO_QUEUE_BUFFER_LIMIT")
    queue_shared_feed: bool = Field(default=True, alias="TURNERO_QUEUE_SHARED_FEED")
    # `serve` tunes each process's garbage collector once started (server/collector.py); `serve` turns it on
    # unless this says 0, applications built in a test's own process leave it alone
    gc_tuning: bool = Field(default=False, alias="TURNERO_GC_TUNING")
    # issue 13, query cost (schema/cost.py): an operation whose static cost exceeds this is refused before it
    # runs (QUERY_TOO_COSTLY); 0 turns the analysis off
    max_query_cost: int = Field(default=10_000, ge=0, alias="TURNERO_MAX_QUERY_COST")

    @cached_property
    def secret_key(self) -> bytes:
        """TURNERO_SECRET_KEY, else a key generated once into the data directory and kept there."""
        if self.secret_key_value:
            return self.secret_key_value.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            # O_EXCL: when two processes start at once, one writes and the other reads its key.
            try:
                with path.open("x") as file:
                    file.write(secrets.token_urlsafe(48))
                path.chmod(0o600)
            except FileExistsError:
                pass
        return path.read_text().strip().encode()


def load_settings() -> Settings:
    return Settings()
