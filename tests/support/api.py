"""Talking to the API the way clients do: GraphQL over HTTP, with a bearer token."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event

from core.runtime import AppState
from resolvers.accounts.staff import ensure_admin

ADMIN_PASSWORD = "correct horse battery staple"
# what staff_token gives every staff user; both pass the password rules (12+ characters, zxcvbn score 3+)
STAFF_PASSWORD = "a long password 1"


class Api:
    """`language`: the Accept-Language every request sends (None: none, so the server's default language).
    English by default, so that tests may read the messages as the source writes them; tests of the
    translations (tests/api/test_error_messages.py) say which language they ask for."""

    def __init__(self, client: httpx.AsyncClient, language: str | None = "en") -> None:
        self.client = client
        self.language = language

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if self.language is not None:
            headers["Accept-Language"] = self.language
        return await self.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)

    async def run(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The data of a request that must succeed without top-level errors."""
        response = await self.post(query, variables, token)
        body = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def login(self, username: str, password: str) -> str:
        data = await self.run(
            "mutation($u: String!, $p: String!) { login(username: $u, password: $p) {"
            " __typename ... on Session { token } ... on UserError { code message } } }",
            {"u": username, "p": password},
        )
        assert data["login"]["__typename"] == "Session", data
        token: str = data["login"]["token"]
        return token

    async def make_admin(self, state: AppState, username: str = "admin") -> str:
        async with state.engine.begin() as conn:
            await ensure_admin(conn, username, ADMIN_PASSWORD)
        return await self.login(username, ADMIN_PASSWORD)

    async def staff_token(self, admin_token: str, username: str, role: str, office_id: str | None) -> str:
        """Creates a staff user with one grant and signs them in."""
        password = STAFF_PASSWORD
        grant = {"role": role, "officeId": office_id}
        data = await self.run(
            "mutation($i: StaffInput!) { createStaff(input: $i) { __typename } }",
            {"i": {"username": username, "password": password, "roles": [grant]}},
            admin_token,
        )
        assert data["createStaff"]["__typename"] == "StaffUser", data
        return await self.login(username, password)

    async def office(
        self, token: str, slug: str = "centro", timezone: str = "America/Argentina/Cordoba", **extra: Any
    ) -> str:
        data = await self.run(
            "mutation($i: OfficeInput!) { upsertOffice(input: $i) { __typename ... on Office { id }"
            " ... on UserError { message } } }",
            {"i": {"slug": slug, "name": f"Office {slug}", "timezone": timezone, **extra}},
            token,
        )
        assert data["upsertOffice"]["__typename"] == "Office", data
        office_id: str = data["upsertOffice"]["id"]
        return office_id

    async def service(self, token: str, slug: str = "dni", **extra: Any) -> str:
        data = await self.run(
            "mutation($i: ServiceInput!) { upsertService(input: $i) { __typename ... on Service { id }"
            " ... on UserError { message } } }",
            {"i": {"slug": slug, "name": f"Service {slug}", "durationMinutes": 15, **extra}},
            token,
        )
        assert data["upsertService"]["__typename"] == "Service", data
        service_id: str = data["upsertService"]["id"]
        return service_id

    async def agenda(self, token: str | None, **fields: Any) -> dict[str, Any]:
        data = await self.run(
            "mutation($i: AgendaInput!) { addAgenda(input: $i) { __typename"
            " ... on Agenda { id weekdays startTime endTime slotMinutes capacity validFrom validTo }"
            " ... on ValidationError { code message field } ... on UserError { code message } } }",
            {"i": fields},
            token,
        )
        result: dict[str, Any] = data["addAgenda"]
        return result

    async def release(
        self, token: str | None, office_id: str | None = None, until: str | None = None
    ) -> dict[str, Any]:
        data = await self.run(
            "mutation($o: ID, $u: Date) { releaseSlots(officeId: $o, until: $u) { __typename"
            " ... on ReleaseReport { created unchanged } ... on UserError { code message } } }",
            {"o": office_id, "u": until},
            token,
        )
        result: dict[str, Any] = data["releaseSlots"]
        return result


@contextmanager
def statements(state: AppState) -> Iterator[list[str]]:
    """The SQL statements the app's engine sends while inside."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(state.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(state.engine.sync_engine, "before_cursor_execute", record)
