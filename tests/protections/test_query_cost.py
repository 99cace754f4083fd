"""Query cost: the static figure (lists by their bounds, limits, variables, fragments, aliases, unions,
introspection), every list field bounded, the refusal before any resolver runs, the cost in every answer,
and every document the web pages and the kiosk send well under the default budget."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import execute, get_introspection_query, graphql_sync, parse
from sqlalchemy import text

from core.runtime import AppState
from core.settings import Settings
from realtime.library_internals import graphql_core_schema
from realtime.live import LiveQueue
from resolvers.agenda.agendas import MIN_SLOT_MINUTES
from schema.bounds import (
    MAX_DESKS_PER_OFFICE,
    MAX_OFFICES,
    MAX_ROLE_GRANTS,
    MAX_SERVICES,
    MAX_SLOTS_PER_DAY,
)
from schema.context import Context
from schema.cost import COSTS, declared_bounds, list_fields, operation_cost
from schema.root import schema
from server.app import create_app
from tests.support.api import Api
from tests.support.query_documents import python_documents, web_documents

DEFAULT_BUDGET = 10_000
GRAPHQL = graphql_core_schema(schema)


def cost(query: str, variables: dict[str, Any] | None = None) -> int:
    return operation_cost(GRAPHQL, parse(query), None, variables)


def objects_in(value: object) -> int:
    """How many objects an answer really holds (its data, the root object, included)."""
    if isinstance(value, dict):
        return 1 + sum(objects_in(v) for v in value.values())
    if isinstance(value, list):
        return sum(objects_in(v) for v in value)
    return 0


# --- the figure -------------------------------------------------------------------------------------------


def test_every_list_field_has_a_bound() -> None:
    declared = declared_bounds(GRAPHQL)
    missing = [
        f"{type_name}.{field}" for type_name, field in list_fields(GRAPHQL) if (type_name, field) not in declared
    ]
    assert not missing, f"list fields without a ListBound (schema/bounds.py): {missing}"
    assert len(declared) >= 28


def test_objects_cost_one_and_lists_multiply_by_their_bounds() -> None:
    assert cost("{ __typename }") == 1  # the operation's own root object: no request is free
    assert cost("{ offices { id name } }") == 1 + MAX_OFFICES
    assert cost("{ offices { id desks { id } } }") == 1 + MAX_OFFICES * (1 + MAX_DESKS_PER_OFFICE)
    nested = "{ offices { services { offices { services { offices { id } } } } } }"
    assert cost(nested) == 1 + MAX_OFFICES * (
        1 + MAX_SERVICES * (1 + MAX_OFFICES * (1 + MAX_SERVICES * (1 + MAX_OFFICES)))
    )
    assert cost("{ me { roles { office { id } } } }") == 1 + 1 + MAX_ROLE_GRANTS * 2
    # scalar lists cost nothing: no object under them
    assert cost('{ service(id: "1") { requiredDocuments } }') == 2


def test_limits_count_as_given_by_default_and_through_variables() -> None:
    by_literal = '{ earliestSlots(serviceId: "1", limit: 7) { id office { id } } }'
    by_default = '{ earliestSlots(serviceId: "1") { id office { id } } }'
    by_variable = 'query($l: Int!) { earliestSlots(serviceId: "1", limit: $l) { id office { id } } }'

    assert cost(by_literal) == 1 + 7 * 2
    assert cost(by_default) == 1 + 10 * 2
    assert cost(by_variable, {"l": 3}) == 1 + 3 * 2
    assert cost(by_variable, {"l": 30}) == 1 + 30 * 2
    # over the resolver's maximum it refuses (BAD_REQUEST): no more than that maximum can come back
    assert cost(by_variable, {"l": 100_000}) == 1 + 100 * 2


def test_the_cache_tells_variables_apart() -> None:
    query = 'query($l: Int!) { earliestSlots(serviceId: "1", limit: $l) { id } }'
    document = parse(query)
    assert COSTS.cost(GRAPHQL, query, document, None, {"l": 2}) == 3
    assert COSTS.cost(GRAPHQL, query, document, None, {"l": 50}) == 51
    assert COSTS.cost(GRAPHQL, query, document, None, {"l": 2}) == 3


def test_a_document_whose_bounds_read_no_argument_is_costed_once_for_any_variables() -> None:
    query = "mutation($i: BookInput!) { book(input: $i) { __typename ... on BookingConfirmation { booking { id } } } }"
    document = parse(query)
    first = COSTS.cost(GRAPHQL, query, document, None, {"i": {"slotId": "1", "citizen": {"name": "A"}}})
    assert (query, None, "*") in COSTS.costs  # kept for any variables, not once per citizen
    kept = len(COSTS.costs)
    assert COSTS.cost(GRAPHQL, query, document, None, {"i": {"slotId": "2", "citizen": {"name": "B"}}}) == first
    assert len(COSTS.costs) == kept
    assert first == cost(query, {"i": {"slotId": "3"}})
    # a document whose bound reads a variable is still kept per variables (test_the_cache_tells_variables_apart)
    limited = 'query($l: Int!) { earliestSlots(serviceId: "1", limit: $l) { id } }'
    COSTS.cost(GRAPHQL, limited, parse(limited), None, {"l": 2})
    assert (limited, None, "*") not in COSTS.costs


def test_ranges_count_their_days_and_offices() -> None:
    query = """query($f: Date!, $t: Date!, $o: ID) { availability(serviceId: "1", from: $f, to: $t, officeId: $o) {
        date office { id } slots { id } } }"""
    one_office = {"f": "2026-03-01", "t": "2026-03-14", "o": "1"}
    every_office = {"f": "2026-03-01", "t": "2026-03-01"}

    assert cost(query, one_office) == 1 + 14 * (1 + 1 + MAX_SLOTS_PER_DAY)
    assert cost(query, every_office) == 1 + MAX_OFFICES * (1 + 1 + MAX_SLOTS_PER_DAY)
    assert MAX_SLOTS_PER_DAY == 24 * 60 // MIN_SLOT_MINUTES


def test_stats_rows_follow_the_filter_and_grouping() -> None:
    query = """query($f: StatsFilterInput!, $g: [Grouping!]) { stats(filter: $f, groupBy: $g) {
        ... on Stats { rows { booked office { id } } totals { booked } } } }"""
    january = {"from": "2026-01-01", "to": "2026-01-31"}

    assert cost(query, {"f": january, "g": ["DAY"]}) == 1 + 1 + 31 * 2 + 1
    assert cost(query, {"f": january, "g": ["WEEKDAY", "HOUR"]}) == 1 + 1 + 7 * 24 * 2 + 1
    assert cost(query, {"f": january | {"officeIds": ["1", "2"]}, "g": ["OFFICE", "DAY"]}) == 1 + 1 + 3 * 31 * 2 + 1
    assert cost(query, {"f": january, "g": None}) == 1 + 1 + 1 * 2 + 1
    # one fragment under two stats fields: each counts its own grouping
    twice = """query($f: StatsFilterInput!) {
        a: stats(filter: $f, groupBy: [DAY]) { ...Rows } b: stats(filter: $f, groupBy: [WEEKDAY, HOUR]) { ...Rows } }
        fragment Rows on StatsResult { ... on Stats { rows { booked } } }"""
    assert cost(twice, {"f": january}) == 1 + (1 + 31) + (1 + 7 * 24)


def test_fragments_aliases_and_unions() -> None:
    with_fragments = """query { ...Offices } fragment Offices on Query { offices { ...Office } }
        fragment Office on Office { id desks { id } }"""
    two_aliases = "{ a: offices { id } b: offices { id } }"
    one_key_twice = "{ offices { id } offices { name } }"
    # a union costs its costliest member: SlotUnavailable's 5 alternatives with their offices
    book = """mutation { book(input: {slotId: "1", citizen: {name: "A", documentId: "1"}}) {
        ... on BookingConfirmation { booking { id office { id } } }
        ... on SlotUnavailable { alternatives { id office { id } } } } }"""
    # the same fragment spread under many fields is worked out once, and counted each time
    bomb = "query { " + " ".join(f"a{i}: offices {{ ...O }}" for i in range(20)) + " } fragment O on Office { id }"

    assert cost(with_fragments) == 1 + MAX_OFFICES * (1 + MAX_DESKS_PER_OFFICE)
    assert cost(two_aliases) == 1 + 2 * MAX_OFFICES
    assert cost(one_key_twice) == 1 + MAX_OFFICES
    assert cost(book) == 1 + 1 + 5 * 2
    assert cost(bomb) == 1 + 20 * MAX_OFFICES


def test_introspection_costs_what_its_answer_holds() -> None:
    full = get_introspection_query(descriptions=True)
    answer = graphql_sync(GRAPHQL, full)
    assert answer.errors is None

    assert cost(full) == objects_in(answer.data)
    one_type = '{ __type(name: "Office") { name fields { name type { name } } } }'
    assert cost(one_type) == objects_in(graphql_sync(GRAPHQL, one_type).data)
    # nesting through the type graph multiplies, as its answer would (executed without validation: graphql-core's
    # introspection depth rule refuses it before our cost could)
    deep = "{ __schema { types { fields { type { ofType { fields { type { ofType { fields { name } } } } } } } } } }"
    assert cost(deep) == objects_in(execute(GRAPHQL, parse(deep)).data)  # type: ignore[union-attr]


# --- what the project sends ---------------------------------------------------------------------------------

# the variables that decide a document's size, as the pages send them at their largest
PAGE_VARIABLES: dict[str, dict[str, Any]] = {
    "web/shared/booking.js AVAILABILITY": {"s": "1", "f": "2026-03-01", "t": "2026-03-14", "o": "1"},
    "web/analytics/queries.js STATS": {"f": {"from": "2026-01-01", "to": "2026-04-01"}, "g": ["DAY"]},
    "web/analytics/queries.js STATS_HEAT": {"f": {"from": "2025-01-01", "to": "2025-12-31"}},
    "web/analytics/queries.js STATS_SERVICES": {"f": {"from": "2025-01-01", "to": "2025-12-31"}},
}


def test_the_pages_and_the_kiosk_ask_well_within_the_budget() -> None:
    documents = web_documents() | python_documents("kiosk_client.api")
    assert len(documents) > 40
    assert {"web/console/console.js OFFICE", "web/display/display.js BOARD", "kiosk_client.api OFFICE"} <= set(
        documents
    )
    costs = {
        name: cost(document, PAGE_VARIABLES.get(name.replace("analytics.js", "queries.js")))
        for name, document in documents.items()
    }
    # room for a city twice the bounds' size on the largest of them
    too_costly = {name: figure for name, figure in costs.items() if figure > DEFAULT_BUDGET // 2}
    assert not too_costly, too_costly


# --- through HTTP -----------------------------------------------------------------------------------------


@pytest.fixture
async def default_http(state: AppState, live_queue: LiveQueue, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app with the default budget (the suite's own settings raise it), from an address of its own:
    its cost bucket is read exactly, whatever else this test process still has in flight from 127.0.0.1."""
    defaults = settings.model_copy(update={"max_query_cost": DEFAULT_BUDGET})
    app = create_app(defaults)
    app.state.turnero = dataclasses.replace(state, settings=defaults)
    app.state.live_queue = live_queue
    transport = httpx.ASGITransport(app=app, client=("192.0.2.77", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://turnero.test") as http:
        yield http


async def test_every_answer_carries_its_cost(default_http: httpx.AsyncClient) -> None:
    response = await default_http.post("/graphql", json={"query": "{ offices { id } }"})

    assert response.status_code == 200
    answer = response.json()
    assert answer["data"] == {"offices": []}
    cost = answer["extensions"]["cost"]
    # the rate limiter answers in the same dict: what the caller's bucket holds, and what this request left of it
    assert cost == {
        "requested": 1 + MAX_OFFICES,
        "maxCost": DEFAULT_BUDGET,
        "limit": cost["limit"],
        "remaining": cost["remaining"],
    }
    assert cost["remaining"] == cost["limit"] - cost["requested"]


async def test_a_costly_operation_is_refused_before_anything_runs(
    default_http: httpx.AsyncClient, state: AppState, admin_token: str
) -> None:
    # a mutation: had any resolver run, the office would exist
    costly = """mutation { upsertOffice(input: {slug: "costly", name: "Costly", timezone: "UTC"}) {
        ... on Office { services { offices { id } } } } }"""

    response = await default_http.post(
        "/graphql", json={"query": costly}, headers={"Authorization": f"Bearer {admin_token}"}
    )

    figure = 1 + 1 + MAX_SERVICES * (1 + MAX_OFFICES)
    body = response.json()
    assert response.status_code == 400, body
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": figure, "maxCost": DEFAULT_BUDGET}
    report = body["extensions"]["cost"]
    assert {key: report[key] for key in ("requested", "maxCost")} == {"requested": figure, "maxCost": DEFAULT_BUDGET}
    # the refusal was charged to the caller's bucket as if it had cost the whole budget
    assert report["remaining"] <= report["limit"] - DEFAULT_BUDGET
    async with state.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM offices"))).scalar() == 0


async def test_the_answer_is_the_context_report_itself(
    state: AppState, live_queue: LiveQueue, settings: Settings
) -> None:
    """What others add to cost_report during the operation (the rate limiter's `remaining`) is answered."""
    from dataloaders import Loaders
    from resolvers.accounts.viewer import ANONYMOUS

    defaults = dataclasses.replace(state, settings=settings.model_copy(update={"max_query_cost": DEFAULT_BUDGET}))
    context = Context(state=defaults, live=live_queue, viewer=ANONYMOUS, loaders=Loaders.create(state.engine))

    result = await schema.execute("{ offices { id } }", context_value=context)

    assert result.extensions is not None
    assert result.extensions["cost"] is context.cost_report
    assert {k: context.cost_report[k] for k in ("requested", "maxCost")} == {
        "requested": 1 + MAX_OFFICES,
        "maxCost": DEFAULT_BUDGET,
    }


async def test_zero_turns_the_check_off(
    client: httpx.AsyncClient, state: AppState, live_queue: LiveQueue, settings: Settings
) -> None:
    off = settings.model_copy(update={"max_query_cost": 0})
    app = create_app(off)
    app.state.turnero = dataclasses.replace(state, settings=off)
    app.state.live_queue = live_queue
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://turnero.test") as http:
        response = await http.post("/graphql", json={"query": "{ offices { services { offices { id } } } }"})

    assert response.status_code == 200
    answer = response.json()
    assert answer["data"] == {"offices": []}
    # nothing was costed: the rate limiter charged its minimum of 1 and reports only its bucket
    assert "requested" not in answer["extensions"]["cost"]


async def test_a_list_never_answers_more_than_its_bound(api: Api, state: AppState, admin_token: str) -> None:
    """The bound is enforced where the list is resolved, so the static figure stays an upper bound."""
    async with state.engine.begin() as conn:
        office = (
            await conn.execute(
                text("INSERT INTO offices (slug, name, timezone) VALUES ('big', 'Big', 'UTC') RETURNING id")
            )
        ).scalar_one()
        await conn.execute(
            text("INSERT INTO desks (office_id, name) SELECT :o, 'Box ' || n FROM generate_series(1, :n) AS n"),
            {"o": office, "n": MAX_DESKS_PER_OFFICE + 5},
        )

    data = await api.run("query($o: ID!) { office(id: $o) { desks { id } } }", {"o": str(office)})

    assert len(data["office"]["desks"]) == MAX_DESKS_PER_OFFICE


async def test_a_limit_from_a_variable_is_applied_when_resolving(api: Api, admin_token: str) -> None:
    office = await api.office(admin_token)
    line = "query($o: ID!, $l: Int!) { waitingTickets(officeId: $o, limit: $l) { id } }"

    data = await api.run(line, {"o": office, "l": 5}, admin_token)

    assert data == {"waitingTickets": []}
