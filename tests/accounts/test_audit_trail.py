"""Issue 17, part 3: every staff, partner and device mutation leaves an audit entry (who, what, when, from
where, how it ended), never with a citizen's personal data; ADMINs read it, nobody else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import build_schema
from sqlalchemy import text

from core.runtime import AppState
from core.settings import Settings
from realtime.live import LiveQueue
from schema.audit.trail import named_ids
from server.app import create_app
from tests.support.api import Api
from tests.support.booking import book, bookable_slots, citizen, scalar
from tests.support.front_desk import front_desk

ADDRESS = "203.0.113.9"
ENTRIES = """query($f: AuditFilterInput, $n: Int! = 50, $a: String) {
    auditEntries(filter: $f, first: $n, after: $a) { __typename
        ... on AuditPage { endCursor hasMore entries { id at actorKind actorId actorRole operation recordIds
            address outcome } }
        ... on UserError { code message } } }"""


@pytest.fixture
async def api_from(state: AppState, live_queue: LiveQueue, settings: Settings) -> AsyncIterator[Api]:
    """A client calling from ADDRESS, so the entries' address is known."""
    app = create_app(settings)
    app.state.turnero = state
    app.state.live_queue = live_queue
    transport = httpx.ASGITransport(app=app, client=(ADDRESS, 4711))
    async with httpx.AsyncClient(transport=transport, base_url="http://turnero.test") as http:
        yield Api(http)


async def entries(api: Api, admin: str, **where: Any) -> list[dict[str, Any]]:
    page = (await api.run(ENTRIES, {"f": where or None}, admin))["auditEntries"]
    assert page["__typename"] == "AuditPage", page
    found: list[dict[str, Any]] = page["entries"]
    return found


async def all_text(state: AppState) -> str:
    async with state.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT audit_entries::text FROM audit_entries"))).scalars().all()
    return "\n".join(rows)


async def test_staff_device_and_partner_mutations_leave_entries(api_from: Api, state: AppState) -> None:
    api = api_from
    admin = await api.make_admin(state)
    front = await front_desk(api, admin)
    slots = await bookable_slots(api, admin, office_slug="norte")
    partner = (
        await api.run(
            'mutation { issuePartnerKey(partner: "Portal", name: "prod") { ... on PartnerKey { token id } } }',
            None,
            admin,
        )
    )["issuePartnerKey"]

    # when a kiosk issues a ticket, the clerk calls it and a partner books for a citizen
    ticket = await front.issue()
    called = await front.call()
    ana = citizen(name="Ana Auditada", email="ana.auditada@example.org", phone="351 555-9876")
    booked = await book(api, slots[0], partner["token"], citizen=ana)
    assert booked["__typename"] == "BookingConfirmation", booked

    # then each left its entry: actor, operation, the records it named and returned, the address, the outcome
    kiosk_entry = (await entries(api, admin, operation="issueTicket"))[0]
    kiosk_id = await scalar(state, "SELECT id FROM device_tokens WHERE name = 'kiosk centro'")
    assert (kiosk_entry["actorKind"], kiosk_entry["actorId"]) == ("DEVICE", str(kiosk_id))
    assert kiosk_entry["actorRole"] == "KIOSK"
    assert kiosk_entry["recordIds"] == [
        f"office:{front.office_id}",
        f"service:{front.services['dni']}",
        f"ticket:{ticket['id']}",
    ]
    assert kiosk_entry["address"] == ADDRESS
    assert kiosk_entry["outcome"] == "OK"

    clerk_entry = (await entries(api, admin, operation="callNext"))[0]
    clerk_id = (await api.run("{ me { id } }", None, front.clerk))["me"]["id"]
    assert (clerk_entry["actorKind"], clerk_entry["actorId"], clerk_entry["actorRole"]) == ("STAFF", clerk_id, "CLERK")
    assert clerk_entry["recordIds"] == [f"desk:{front.desks['1']}", f"ticket:{called['id']}"]
    assert clerk_entry["address"] == ADDRESS

    partner_entry = (await entries(api, admin, operation="book"))[0]
    portal = await scalar(state, "SELECT id FROM partners WHERE name = 'Portal'")
    assert (partner_entry["actorKind"], partner_entry["actorId"]) == ("PARTNER", str(portal))
    assert partner_entry["actorRole"] == "PARTNER"
    assert partner_entry["address"] == ADDRESS
    assert partner_entry["recordIds"] == [f"slot:{slots[0]}", f"booking:{booked['booking']['id']}"]
    assert partner_entry["outcome"] == "OK"

    # and the filters find them: by record, by actor, by time
    by_record = await entries(api, admin, recordId=f"booking:{booked['booking']['id']}")
    assert [e["operation"] for e in by_record] == ["book"]
    by_bare_id = await entries(api, admin, recordId=front.desks["1"])
    assert {e["operation"] for e in by_bare_id} >= {"upsertDesk", "callNext"}
    by_actor = await entries(api, admin, actorKind="STAFF", actorId=clerk_id)
    assert [e["operation"] for e in by_actor] == ["callNext"]
    assert await entries(api, admin, **{"from": "2999-01-01T00:00:00Z"}) == []

    # no value of any argument but ids is kept: not the citizen's name, e-mail, phone or document
    kept = await all_text(state)
    for personal in ("Ana Auditada", "ana.auditada@example.org", "555-9876", ana["documentId"]):
        assert personal not in kept
    # anonymous citizens' mutations are not staff actions: not recorded
    before = len(await entries(api, admin, operation="book"))
    assert (await book(api, slots[1], None, citizen=citizen("40111222")))["__typename"] == "BookingConfirmation"
    assert len(await entries(api, admin, operation="book")) == before


async def test_refused_attempts_are_recorded_with_their_outcome(api_from: Api, state: AppState) -> None:
    api = api_from
    admin = await api.make_admin(state)
    front = await front_desk(api, admin)
    other = await api.office(admin, slug="sur")

    # when the clerk of one office tries to issue a device token for another
    refused = (
        await api.run(
            'mutation($o: ID!) { issueDeviceToken(officeId: $o, kind: KIOSK, name: "x") { __typename } }',
            {"o": other},
            front.clerk,
        )
    )["issueDeviceToken"]
    assert refused["__typename"] == "NotAllowed"

    # then the attempt is in the trail, refused
    entry = (await entries(api, admin, operation="issueDeviceToken", actorKind="STAFF"))[0]
    assert (entry["recordIds"], entry["outcome"], entry["actorRole"]) == ([f"office:{other}"], "NOT_ALLOWED", "CLERK")


async def test_only_admins_read_the_trail(api: Api, state: AppState) -> None:
    admin = await api.make_admin(state)
    front = await front_desk(api, admin)
    manager = await api.staff_token(admin, "manager", "MANAGER", front.office_id)
    operator = await api.staff_token(admin, "operator", "OPERATOR", None)

    for token in (front.clerk, manager, operator, front.kiosk, None):
        answer = (await api.run(ENTRIES, {}, token))["auditEntries"]
        assert answer["__typename"] == "NotAllowed", answer


async def test_pages_follow_each_other(api: Api, state: AppState) -> None:
    admin = await api.make_admin(state)
    for slug in ("a1", "a2", "a3"):
        await api.office(admin, slug=slug)

    first = (await api.run(ENTRIES, {"f": {"operation": "upsertOffice"}, "n": 2}, admin))["auditEntries"]
    rest = (await api.run(ENTRIES, {"f": {"operation": "upsertOffice"}, "n": 2, "a": first["endCursor"]}, admin))[
        "auditEntries"
    ]

    assert (len(first["entries"]), first["hasMore"]) == (2, True)
    assert (len(rest["entries"]), rest["hasMore"]) == (1, False)
    seen = [e["id"] for e in first["entries"] + rest["entries"]]
    assert seen == sorted(seen, key=int, reverse=True)
    assert len(set(seen)) == 3
    bad = (await api.run(ENTRIES, {"n": 0}, admin))["auditEntries"]
    assert bad["__typename"] == "ValidationError"


def test_ids_of_personal_data_are_never_taken() -> None:
    """A mutation naming a person by an ID-typed argument (a future eraseCitizen(documentId:)) leaves only the
    records' ids: personal values are never read, whatever their type."""
    sdl = """
        input Who { documentId: ID, email: String, officeId: ID }
        type Query { x: Int }
        type Mutation { eraseCitizen(documentId: ID, email: String, phone: ID, who: Who, officeIds: [ID!]): Int }
    """
    field = build_schema(sdl).mutation_type.fields["eraseCitizen"]  # type: ignore[union-attr]
    arguments = {
        "documentId": "30123456",
        "email": "ana@example.org",
        "phone": "3515551234",
        "who": {"documentId": "30999888", "email": "b@example.org", "officeId": "7"},
        "officeIds": ["3", "4"],
    }

    assert named_ids(field, "eraseCitizen", arguments) == ["office:7", "office:3", "office:4"]
