"""The one settings object, read once from the environment (see OPERATIONS.md)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Literal

from limits import parse_many
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.messages import LANGUAGES

# every secret the platform makes is an HMAC under the key: 256 bits, as HMAC-SHA256 itself
MIN_SECRET_KEY_BYTES = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    data_dir: Path = Field(default=Path("var"), alias="TURNERO_DATA_DIR")
    secret_key_value: str | None = Field(default=None, alias="TURNERO_SECRET_KEY")
    smtp_url: str | None = Field(default=None, alias="SMTP_URL")
    session_hours: int = Field(default=12, alias="TURNERO_SESSION_HOURS")
    db_pool_size: int = Field(default=10, alias="TURNERO_DB_POOL_SIZE")
    # issue 18 part 6, running at scale (README "Running it at scale"). A streaming replica's URL: the reads that
    # tolerate lag (availability, earliest slots, the catalogue's search) go there; everything that decides a
    # seat stays on DATABASE_URL. Unset: every read on the primary
    database_read_url: str | None = Field(default=None, alias="DATABASE_READ_URL")
    # what DATABASE_URL (and DATABASE_READ_URL) reach: "pgbouncer" for a PgBouncer in transaction pooling mode,
    # where a server connection changes between transactions, so asyncpg's named prepared statements must be
    # neither cached nor named alike (core/db.py); "none": PostgreSQL itself
    db_pooler: Literal["none", "pgbouncer"] = Field(default="none", alias="TURNERO_DB_POOLER")
    # PostgreSQL itself, bypassing the pooler, for migrations: they hold a session advisory lock across their
    # transactions (migrations/env.py), which transaction pooling cannot keep. Required with the pgbouncer pooler
    database_direct_url: str | None = Field(default=None, alias="DATABASE_DIRECT_URL")
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
    # how long holdSlot keeps a seat (fractions allowed: tests hold for seconds)
    hold_minutes: float = Field(default=5, gt=0, le=60, alias="TURNERO_HOLD_MINUTES")
    # a PENDING booking (services with confirmation_required) not confirmed within this gives its seat back
    confirm_minutes: int = Field(default=30, gt=0, alias="TURNERO_CONFIRM_MINUTES")
    # a freed seat offered to the waitlist is kept this long for the entry it is offered to; with nobody
    # waiting, it returns to availability only after the re-release delay (0: at once), so that watching for
    # cancellations wins nothing (fractions allowed, as for holds)
    offer_minutes: float = Field(default=60, gt=0, le=7 * 24 * 60, alias="TURNERO_OFFER_MINUTES")
    rerelease_delay_minutes: float = Field(default=10, ge=0, le=24 * 60, alias="TURNERO_RERELEASE_DELAY_MINUTES")
    # release draws: entries a client address may make to one draw (staff and partners are not counted by address)
    draw_entries_per_address: int = Field(default=4, ge=1, le=1000, alias="TURNERO_DRAW_ENTRIES_PER_ADDRESS")
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
    # a shared feed writes each event's websocket frame to its caught-up subscribers' sockets itself, in one
    # loop (realtime/transport_ws.py); off: each subscriber's task sends it through Starlette and uvicorn
    queue_direct_write: bool = Field(default=True, alias="TURNERO_QUEUE_DIRECT_WRITE")
    # uvicorn's websocket implementation for `serve`; direct writes need websockets-sansio (with the
    # other, every message goes through the subscriber's task)
    ws_implementation: Literal["websockets-sansio", "websockets"] = Field(
        default="websockets-sansio", alias="TURNERO_WS_IMPLEMENTATION"
    )
    # `serve` tunes each process's garbage collector once started (server/collector.py); `serve` turns it on
    # unless this says 0, applications built in a test's own process leave it alone
    gc_tuning: bool = Field(default=False, alias="TURNERO_GC_TUNING")
    # rate limits (issue 13, part 3: core/ratelimit.py). Cost buckets refill at COST_PER_SECOND and hold
    # COST_WINDOW_SECONDS of it; the per-address buckets are `limits` strings ("5/10 minutes;20/day")
    rate_limits: bool = Field(default=True, alias="TURNERO_RATE_LIMITS")
    rate_cost_window_seconds: int = Field(default=60, gt=0, alias="TURNERO_RATE_COST_WINDOW_SECONDS")
    rate_anonymous_cost_per_second: int = Field(default=1000, gt=0, alias="TURNERO_RATE_ANONYMOUS_COST_PER_SECOND")
    rate_staff_cost_per_second: int = Field(default=2000, gt=0, alias="TURNERO_RATE_STAFF_COST_PER_SECOND")
    rate_device_cost_per_second: int = Field(default=2000, gt=0, alias="TURNERO_RATE_DEVICE_COST_PER_SECOND")
    # shown as a GraphQL Int by setPartnerRateLimit: at most 2**31 - 1
    rate_partner_cost_per_second: int = Field(
        default=1000, gt=0, le=2**31 - 1, alias="TURNERO_RATE_PARTNER_COST_PER_SECOND"
    )
    rate_login: str = Field(default="60/minute;600/hour", alias="TURNERO_RATE_LOGIN")
    rate_bookings: str = Field(default="5/10 minutes;20/day", alias="TURNERO_RATE_BOOKINGS")
    rate_searches: str = Field(default="120/minute;2000/hour", alias="TURNERO_RATE_SEARCHES")
    # findBookings per staff user (a caller's bookings by document, phone, e-mail or name): enough for a call
    # centre's day, never enough to walk the city's bookings by guessed names
    rate_lookups: str = Field(default="30/minute;300/hour", alias="TURNERO_RATE_LOOKUPS")
    # after Redis fails, how long each process counts anonymous callers on its own before trying Redis again
    # cost charges of callers far from their limit are sent to Redis in batches this often (0: each at once)
    rate_cost_batch_seconds: float = Field(default=0.2, ge=0, le=5, alias="TURNERO_RATE_COST_BATCH_SECONDS")
    rate_redis_retry_seconds: float = Field(default=1.0, gt=0, alias="TURNERO_RATE_REDIS_RETRY_SECONDS")

    @field_validator("rate_login", "rate_bookings", "rate_searches", "rate_lookups")
    @classmethod
    def _rate_strings(cls, value: str) -> str:
        """A limit string that does not parse stops the process at start-up, not the first request."""
        try:
            parse_many(value)
        except ValueError as error:
            raise ValueError(f"{error}; write e.g. '5/10 minutes;20/day'") from None
        return value

    # issue 13, parts 2 and 10 (execution budget, operations surface) and the worker's reconnection:
    # an HTTP GraphQL operation running longer than this is cancelled (its database statement with it)
    operation_timeout_seconds: float = Field(default=10, gt=0, alias="TURNERO_OPERATION_TIMEOUT_SECONDS")
    # request bodies over this get 413 unread; longer query texts and variable strings are refused
    max_body_bytes: int = Field(default=1_048_576, gt=0, alias="TURNERO_MAX_BODY_BYTES")
    max_query_chars: int = Field(default=32_768, gt=0, alias="TURNERO_MAX_QUERY_CHARS")
    max_variable_chars: int = Field(default=10_000, gt=0, alias="TURNERO_MAX_VARIABLE_CHARS")
    # GraphiQL and introspection: for the demo and development, off in production
    graphiql: bool = Field(default=False, alias="TURNERO_GRAPHIQL")
    # how often each serving process refreshes the gauges /metrics reads (a scrape itself runs no SQL)
    metrics_refresh_seconds: float = Field(default=15, gt=0, alias="TURNERO_METRICS_REFRESH_SECONDS")
    # the worker reconnects after losing Redis, waiting 1 s, 2 s, 4 s … up to this between tries
    worker_reconnect_max_seconds: float = Field(default=30, gt=0, alias="TURNERO_WORKER_RECONNECT_MAX_SECONDS")

    # issue 13 part 11 (booking): the smaller holes. How long a kiosk's offline spool may really hold an
    # arrival: an older arrivedAt would jump the queue, so it is refused and the kiosk sends it as now
    kiosk_max_offline_hours: float = Field(default=2, gt=0, alias="TURNERO_KIOSK_MAX_OFFLINE_HOURS")

    # issue 16: the language of UserError messages when the caller says none we speak (Accept-Language, the
    # citizen's locale): the demo city is Argentine
    default_language: str = Field(default="es", alias="TURNERO_DEFAULT_LANGUAGE")

    @field_validator("default_language")
    @classmethod
    def _spoken(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value

    @property
    def kiosk_max_offline(self) -> timedelta:
        return timedelta(hours=self.kiosk_max_offline_hours)

    @field_validator("secret_key_value")
    @classmethod
    def _long_enough(cls, value: str | None) -> str | None:
        # every token, manage token, ticket ID and document hash is an HMAC under this key: a short one
        # can be guessed offline from any of them
        if value is not None and len(value.encode()) < MIN_SECRET_KEY_BYTES:
            raise ValueError(
                f"must be at least {MIN_SECRET_KEY_BYTES} bytes (e.g. `python -c 'import secrets; "
                f"print(secrets.token_urlsafe(48))'`), or unset to keep a generated one in the data directory"
            )
        return value

    # issue 13 part 4 (sign-in): failed sign-ins from one client address, whatever the usernames, before that
    # address waits TURNERO_LOGIN_LOCKOUT_SECONDS (TURNERO_LOGIN_MAX_FAILURES counts per username and address)
    login_address_max_failures: int = Field(default=30, gt=0, alias="TURNERO_LOGIN_ADDRESS_MAX_FAILURES")

    # issue 13 part 8, websockets with limits (server/ws_limits.py): connection_init within this many seconds
    # or the socket closes with 4408; anonymous sockets per client address in each process, and anonymous
    # subscriptions per socket
    ws_init_seconds: float = Field(default=3, gt=0, alias="TURNERO_WS_INIT_SECONDS")
    ws_anonymous_per_address: int = Field(default=20, ge=0, alias="TURNERO_WS_ANONYMOUS_PER_ADDRESS")
    ws_anonymous_subscriptions: int = Field(default=5, ge=0, alias="TURNERO_WS_ANONYMOUS_SUBSCRIPTIONS")

    # issue 13, query cost (schema/cost.py): an operation whose static cost exceeds this is refused before it
    # runs (QUERY_TOO_COSTLY); 0 turns the analysis off
    # availability/earliestSlots answers reused from Redis for at most this long (schema/availability_cache.py);
    # 0 turns the cache off
    availability_cache_seconds: float = Field(default=10, ge=0, le=30, alias="TURNERO_AVAILABILITY_CACHE_SECONDS")
    max_query_cost: int = Field(default=10_000, ge=0, alias="TURNERO_MAX_QUERY_COST")

    # issue 14 part 2 (resolvers/booking/challenge.py): anonymous bookings of an ADAPTIVE service one client address
    # may make in a rolling day before each needs a solved proof-of-work challenge
    challenge_free_bookings: int = Field(default=2, ge=0, alias="TURNERO_CHALLENGE_FREE_BOOKINGS")

    # issue 17 part 2 (resolvers/privacy): days personal data lives after the appointment or visit; the nightly
    # job anonymises bookings, tickets, feedback, waitlist and draw entries past it (docs/privacy.md)
    retention_days: int = Field(default=90, ge=1, le=3650, alias="TURNERO_RETENTION_DAYS")

    @model_validator(mode="after")
    def _direct_behind_pooler(self) -> Settings:
        if self.db_pooler == "pgbouncer" and self.database_url and not self.database_direct_url:
            raise ValueError(
                "TURNERO_DB_POOLER=pgbouncer needs DATABASE_DIRECT_URL (PostgreSQL itself) for migrations, "
                "whose session lock transaction pooling cannot keep"
            )
        return self

    @property
    def migration_url(self) -> str | None:
        """Where migrations run: PostgreSQL itself when a pooler stands in front of DATABASE_URL."""
        return self.database_direct_url or self.database_url

    @cached_property
    def secret_key(self) -> bytes:
        """TURNERO_SECRET_KEY, else a key generated once into the data directory and kept there."""
        if self.secret_key_value:
            return self.secret_key_value.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            _write_new_key(path)
        return path.read_text().strip().encode()


def _write_new_key(path: Path) -> None:
    """Writes a fresh key that is readable by its owner only from the first byte, and whole when it appears.

    The key goes to a private temporary file (created with O_EXCL and mode 0600: never world-readable,
    whatever the umask) and is then hard-linked into place, which fails if the name exists: when two
    processes start at once, one key wins and the other process reads that one, never a half-written file.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48))
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)


def load_settings() -> Settings:
    return Settings()


def settings_problem(error: ValidationError) -> str:
    """What is wrong with the environment, on one line: the variable and why."""
    return "; ".join(
        f"{'.'.join(str(part) for part in problem['loc'])} {problem['msg'].removeprefix('Value error, ')}"
        for problem in error.errors()
    )
