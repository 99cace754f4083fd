from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, async_playwright
from sqlalchemy import text

from core.db import migrate
from core.runtime import AppState, open_state
from core.settings import Settings
from models import Base
from realtime.live import LiveQueue, open_live_queue
from server.app import create_app
from tests.support.api import Api
from tests.support.browser import PHONE, ensure_axe, ensure_chromium
from tests.support.processes import GENEROUS_RATES, serving, suite_environment
from tests.support.servers import DATA_DIR, test_servers

TESTS_MAX_QUERY_COST = 10**15


@pytest.fixture(scope="session")
def settings() -> Settings:
    database_url, redis_url = test_servers()
    migrate(database_url)
    return Settings(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        TURNERO_DATA_DIR=DATA_DIR,
        TURNERO_SECRET_KEY="test-secret-key-not-for-production",
        **GENEROUS_RATES,
        # the suite checks relations through nested lists (a city-wide availability with each slot's office
        # and service's offices) far over the default cost budget; tests/protections/test_query_cost.py tests
        # the default
        TURNERO_MAX_QUERY_COST=TESTS_MAX_QUERY_COST,
    )


@pytest.fixture(scope="session")
async def state(settings: Settings) -> AsyncIterator[AppState]:
    async with open_state(settings, application_name="turnero-tests") as state:
        yield state


@pytest.fixture(scope="session")
async def live_queue(state: AppState) -> AsyncIterator[LiveQueue]:
    """The live queue `serve` opens in its lifespan: the suite's apps share this one."""
    async with open_live_queue(state) as live:
        yield live


async def empty(state: AppState) -> None:
    """An empty database and an empty Redis."""
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    async with state.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await state.redis.flushdb()


@pytest.fixture(autouse=True)
async def clean(state: AppState) -> None:
    """Every test starts from an empty database and an empty Redis."""
    await empty(state)


@pytest.fixture
async def client(state: AppState, live_queue: LiveQueue, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    app.state.turnero = state  # the session's connections, instead of a lifespan per test
    app.state.live_queue = live_queue
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://turnero.test") as http:
        yield http


@pytest.fixture
async def client_factory(
    state: AppState, live_queue: LiveQueue, settings: Settings
) -> AsyncIterator[Callable[[], Awaitable[httpx.AsyncClient]]]:
    """More clients, each with its own connections, for tests that need several callers at once."""
    opened: list[httpx.AsyncClient] = []

    async def open_client() -> httpx.AsyncClient:
        app = create_app(settings)
        app.state.turnero = state
        app.state.live_queue = live_queue
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://turnero.test")
        opened.append(http)
        return http

    yield open_client
    for http in opened:
        await http.aclose()


@pytest.fixture
def api(client: httpx.AsyncClient) -> Api:
    return Api(client)


@pytest.fixture
async def admin_token(api: Api, state: AppState) -> str:
    return await api.make_admin(state)


@pytest.fixture(scope="module")
def two_servers(settings: Settings) -> Iterator[list[str]]:
    """Two `python main.py serve` processes on the test database: the base URL of each."""
    env = suite_environment(settings)
    with serving(env) as first, serving(env) as second:
        yield [first, second]


@pytest.fixture(scope="module")
def one_server(settings: Settings) -> Iterator[str]:
    """One `python main.py serve` process on the test database: its base URL."""
    env = suite_environment(settings)
    with serving(env) as base:
        yield base


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, with the axe scanner at hand, once per test module of the pages."""
    executable = ensure_chromium()
    ensure_axe()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable)
        yield launched
        await launched.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A phone in Córdoba, in Spanish, with axe loaded in every page."""
    opened = await browser.new_context(locale="es-AR", timezone_id="America/Argentina/Cordoba", viewport=PHONE)
    await opened.add_init_script(path=str(ensure_axe()))
    yield opened
    await opened.close()
