"""The HTTP surface: health, malformed requests, query limits, masked faults, concurrent resolvers."""

from __future__ import annotations

import httpx
import pytest

from core.runtime import AppState
from tests.support.api import Api


async def test_health_endpoints(client: httpx.AsyncClient) -> None:
    live = await client.get("/health/live")
    ready = await client.get("/health/ready")

    assert (live.status_code, live.json()) == (200, {"status": "live"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b'{"variables": {}}', "application/json"),
        (b"query=1", "text/plain"),
    ],
)
async def test_malformed_requests_get_4xx(client: httpx.AsyncClient, body: bytes, content_type: str) -> None:
    response = await client.post("/graphql", content=body, headers={"Content-Type": content_type})

    assert 400 <= response.status_code < 500


async def test_syntax_and_unknown_fields_are_request_errors(api: Api) -> None:
    syntax = await api.post("{ offices { id ")
    unknown = await api.post("{ offices { colour } }")

    assert syntax.status_code == 200
    assert "Syntax Error" in syntax.json()["errors"][0]["message"]
    assert "Cannot query field 'colour'" in unknown.json()["errors"][0]["message"]


async def test_mutations_are_refused_over_get(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql", params={"query": 'mutation { login(username: "a", password: "b") { __typename } }'}
    )

    assert response.status_code == 400
    assert response.text == "mutations are not allowed when using GET"


async def test_too_deep_queries_are_refused_before_running(api: Api, state: AppState) -> None:
    deep = (
        "{ offices { services { offices { services { offices { services { offices { services { offices {"
        " services { offices { id } } } } } } } } } } } }"
    )

    response = await api.post(deep)

    assert "exceeds maximum operation depth of 10" in response.json()["errors"][0]["message"]
    assert response.json().get("data") is None


async def test_alias_floods_are_refused(api: Api) -> None:
    query = "{ " + " ".join(f"a{i}: offices {{ id }}" for i in range(31)) + " }"

    response = await api.post(query)

    assert "aliases" in response.json()["errors"][0]["message"]


async def test_token_floods_are_refused(api: Api) -> None:
    query = "{ offices { " + " ".join(["id"] * 4000) + " } }"

    response = await api.post(query)

    assert "token" in response.json()["errors"][0]["message"].lower()


async def test_two_database_fields_in_one_query_run_side_by_side(api: Api, admin_token: str) -> None:
    office_id = await api.office(admin_token)
    await api.service(admin_token)

    data = await api.run(
        "query($o: ID!) { offices { slug } services { slug } me { username } agendas(officeId: $o)"
        " { id } office(id: $o) { desks { id } services { id } openingHours { weekday } } }",
        {"o": office_id},
        admin_token,
    )

    assert data["offices"] == [{"slug": "centro"}]
    assert data["services"] == [{"slug": "dni"}]
    assert data["me"] == {"username": "admin"}


async def test_faults_are_masked_with_a_request_id(
    api: Api, admin_token: str, state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    from resolvers.catalogue import offices

    async def broken(conn: object) -> list[object]:
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(offices, "list_offices", broken)

    response = await api.post("{ offices { id } }")

    error = response.json()["errors"][0]
    assert error["message"].startswith("Unexpected error (request ")
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "hunter2" not in response.text
