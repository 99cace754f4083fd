"""Sessions that end, through a real `serve`: logout, revoked device tokens and partner keys, disabled staff and
expired sessions get 401 at once, and their open websockets are closed with 4403 within 5 seconds."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import text
from websockets.exceptions import ConnectionClosed

from core.runtime import AppState
from dataloaders import Loaders
from realtime.live import LiveQueue
from schema.context import Context
from server.graphql_view import viewer_for
from server.ws_sessions import SocketWatcher
from tests.support.api import STAFF_PASSWORD, Api, statements
from tests.support.live import Socket, socket

pytestmark = pytest.mark.slow

ISSUE_DEVICE = """mutation($o: ID!, $k: DeviceKind!) { issueDeviceToken(officeId: $o, kind: $k, name: "Screen") {
    __typename ... on DeviceToken { id token } } }"""
REVOKE_DEVICE = """mutation($id: ID!) { revokeDeviceToken(id: $id) {
    __typename ... on Revoked { id revokedAt } ... on UserError { code } } }"""
REVOKE_KEY = """mutation($id: ID!) { revokePartnerKey(id: $id) {
    __typename ... on Revoked { id } ... on UserError { code } } }"""
DISABLE = """mutation($id: ID!) { disableStaff(id: $id) {
    __typename ... on StaffUser { username disabledAt } ... on UserError { code } } }"""
BOARD = "subscription($o: ID!) { board(officeId: $o) { queues { waiting } } }"
ME = "{ me { id username } }"
CLOSED_WITHIN = 5.0


@pytest.fixture
async def served(one_server: str) -> AsyncIterator[Api]:
    """The API of the real `serve` process, as a client sees it."""
    async with httpx.AsyncClient(base_url=one_server, timeout=30) as client:
        yield Api(client)


async def device(api: Api, token: str, office_id: str, kind: str = "DISPLAY") -> tuple[str, str]:
    issued = (await api.run(ISSUE_DEVICE, {"o": office_id, "k": kind}, token))["issueDeviceToken"]
    assert issued["__typename"] == "DeviceToken", issued
    return issued["id"], issued["token"]


async def staff_id(api: Api, token: str) -> str:
    user_id: str = (await api.run(ME, token=token))["me"]["id"]
    return user_id


async def close_code(live: Socket, seconds: float) -> int | None:
    """How the server closes the socket (None: without a close frame), waiting at most `seconds` (messages
    meanwhile are read and dropped)."""
    async with asyncio.timeout(seconds):
        try:
            while True:
                message = json.loads(await live.connection.recv())
                if message["type"] == "ping":
                    await live.connection.send(json.dumps({"type": "pong"}))
        except ConnectionClosed as closed:
            return None if closed.rcvd is None else closed.rcvd.code


async def status(api: Api, token: str) -> int:
    return (await api.post("{ __typename }", token=token)).status_code


async def test_logout_ends_the_staff_session_only(served: Api, admin_token: str, one_server: str) -> None:
    office_id = await served.office(admin_token)
    _, display = await device(served, admin_token, office_id)
    clerk = await served.staff_token(admin_token, "clerk.logout", "CLERK", office_id)
    other_session = await served.login("clerk.logout", STAFF_PASSWORD)

    async with socket(one_server, clerk) as live:
        ended = await served.run("mutation { logout }", token=clerk)
        closed = await close_code(live, CLOSED_WITHIN)
    anonymous = await served.run("mutation { logout }")
    by_device = await served.run("mutation { logout }", token=display)

    assert ended == {"logout": True}
    assert await status(served, clerk) == 401
    assert closed == 4403
    assert await status(served, other_session) == 200  # the user's other sign-in is another session
    assert anonymous == {"logout": False}
    assert by_device == {"logout": False}
    assert await status(served, display) == 200


async def test_a_revoked_device_token_gets_401_and_its_display_socket_closes(
    served: Api, admin_token: str, one_server: str
) -> None:
    office_id = await served.office(admin_token)
    manager = await served.staff_token(admin_token, "manager.here", "MANAGER", office_id)
    device_id, display = await device(served, admin_token, office_id)
    _, kiosk = await device(served, admin_token, office_id, "KIOSK")

    async with socket(one_server, display) as screen, socket(one_server, kiosk) as other:
        await screen.subscribe("board", BOARD, {"o": office_id})
        assert "board" in await screen.next("board")
        revoked = (await served.run(REVOKE_DEVICE, {"id": device_id}, manager))["revokeDeviceToken"]
        at = time.monotonic()
        closed = await close_code(screen, CLOSED_WITHIN)
        took = time.monotonic() - at
        await other.subscribe("board", BOARD, {"o": office_id})
        still_served = await other.next("board")
    again = (await served.run(REVOKE_DEVICE, {"id": device_id}, admin_token))["revokeDeviceToken"]

    assert revoked["__typename"] == "Revoked"
    assert revoked["id"] == device_id
    assert await status(served, display) == 401
    assert (closed, took < CLOSED_WITHIN) == (4403, True)
    assert "board" in still_served  # the office's other device is untouched
    assert again == revoked  # revoking twice keeps the first moment


async def test_a_revoked_partner_key_gets_401_and_its_socket_closes(
    served: Api, admin_token: str, one_server: str
) -> None:
    issued = (
        await served.run(
            'mutation { issuePartnerKey(partner: "portal", name: "prod") { ... on PartnerKey { id token } } }',
            token=admin_token,
        )
    )["issuePartnerKey"]

    async with socket(one_server, issued["token"]) as live:
        revoked = (await served.run(REVOKE_KEY, {"id": issued["id"]}, admin_token))["revokePartnerKey"]
        closed = await close_code(live, CLOSED_WITHIN)

    assert revoked == {"__typename": "Revoked", "id": issued["id"]}
    assert await status(served, issued["token"]) == 401
    assert closed == 4403


async def test_a_disabled_user_cannot_sign_in_and_every_session_ends(
    served: Api, admin_token: str, one_server: str
) -> None:
    office_id = await served.office(admin_token)
    clerk = await served.staff_token(admin_token, "clerk.gone", "CLERK", office_id)
    second = await served.login("clerk.gone", STAFF_PASSWORD)
    clerk_id = await staff_id(served, clerk)

    async with socket(one_server, clerk) as first_socket, socket(one_server, second) as second_socket:
        disabled = (await served.run(DISABLE, {"id": clerk_id}, admin_token))["disableStaff"]
        codes = await asyncio.gather(close_code(first_socket, CLOSED_WITHIN), close_code(second_socket, CLOSED_WITHIN))
    sign_in = await served.run(
        "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { __typename } }",
        {"u": "clerk.gone", "p": STAFF_PASSWORD},
    )

    assert disabled["__typename"] == "StaffUser"
    assert disabled["username"] == "clerk.gone"
    assert disabled["disabledAt"] is not None
    assert list(codes) == [4403, 4403]
    assert await status(served, clerk) == 401
    assert await status(served, second) == 401
    assert sign_in == {"login": {"__typename": "NotAllowed"}}


async def test_a_session_that_expires_while_its_socket_is_open_is_closed(
    served: Api, admin_token: str, one_server: str, state: AppState
) -> None:
    office_id = await served.office(admin_token)

    async with socket(one_server, admin_token) as live:
        await live.subscribe("board", BOARD, {"o": office_id})
        assert "board" in await live.next("board")
        async with state.engine.begin() as conn:
            await conn.execute(text("UPDATE staff_sessions SET expires_at = now() + interval '1 second'"))
        closed = await close_code(live, 1 + CLOSED_WITHIN)

    assert closed == 4403
    assert await status(served, admin_token) == 401


async def test_managers_revoke_and_disable_only_within_their_offices(served: Api, admin_token: str) -> None:
    own = await served.office(admin_token, slug="own")
    other = await served.office(admin_token, slug="other")
    manager = await served.staff_token(admin_token, "manager.own", "MANAGER", own)
    clerk = await served.staff_token(admin_token, "clerk.own", "CLERK", own)
    clerk_id = await staff_id(served, clerk)
    colleague = await served.staff_token(admin_token, "clerk.colleague", "CLERK", own)
    granted = await served.run(
        "mutation($i: StaffInput!) { createStaff(input: $i) { __typename } }",
        {
            "i": {
                "username": "clerk.both",
                "password": STAFF_PASSWORD,
                "roles": [{"role": "CLERK", "officeId": own}, {"role": "CLERK", "officeId": other}],
            }
        },
        admin_token,
    )
    assert granted["createStaff"]["__typename"] == "StaffUser"
    both_id = await staff_id(served, await served.login("clerk.both", STAFF_PASSWORD))
    admin_id = await staff_id(served, admin_token)
    manager_id = await staff_id(served, manager)
    own_device, _ = await device(served, admin_token, own)
    other_device, other_token = await device(served, admin_token, other)
    key_id = (
        await served.run(
            'mutation { issuePartnerKey(partner: "p", name: "k") { ... on PartnerKey { id } } }', token=admin_token
        )
    )["issuePartnerKey"]["id"]

    async def revoke(device_id: str, token: str) -> str:
        return str((await served.run(REVOKE_DEVICE, {"id": device_id}, token))["revokeDeviceToken"]["__typename"])

    async def disable(user_id: str, token: str) -> str:
        return str((await served.run(DISABLE, {"id": user_id}, token))["disableStaff"]["__typename"])

    assert await revoke(other_device, manager) == "NotAllowed"
    assert await status(served, other_token) == 200
    assert await revoke(own_device, clerk) == "NotAllowed"
    assert await revoke(own_device, manager) == "Revoked"
    assert await revoke("999999", manager) == "NotFound"
    assert await revoke("³2", admin_token) == "NotFound"
    key = (await served.run(REVOKE_KEY, {"id": key_id}, manager))["revokePartnerKey"]
    assert key == {"__typename": "NotAllowed", "code": "NOT_ALLOWED"}
    assert await disable(both_id, manager) == "NotAllowed"  # also works for another office
    assert await disable(admin_id, manager) == "NotAllowed"
    assert await disable(manager_id, manager) == "NotAllowed"  # nobody disables themselves
    assert await disable(clerk_id, colleague) == "NotAllowed"  # clerks disable nobody
    assert await disable("999999", manager) == "NotFound"
    assert await disable(clerk_id, manager) == "StaffUser"
    assert await disable(both_id, admin_token) == "StaffUser"
    assert await disable(admin_id, admin_token) == "NotAllowed"
    assert await status(served, clerk) == 401
    assert await status(served, colleague) == 200


@dataclass
class _Closing:
    """What the watcher sees of a socket: its context, and a websocket that records how it was closed."""

    code: int | None = None

    async def close(self, code: int, reason: str) -> None:
        self.code = code


@dataclass(eq=False)  # hashed by identity, as the watcher keeps them in a set
class _Held:
    context: Context
    websocket: _Closing = field(default_factory=_Closing)
    stopped: bool = False

    async def stop_operations(self) -> None:
        self.stopped = True


async def test_the_watcher_checks_thousands_of_sockets_in_one_statement(
    api: Api, admin_token: str, state: AppState, live_queue: LiveQueue
) -> None:
    office_id = await api.office(admin_token)
    device_id, display = await device(api, admin_token, office_id)
    viewers = [await viewer_for(state, f"Bearer {token}") for token in (admin_token, display)]
    sockets = [
        _Held(Context(state=state, live=live_queue, viewer=viewers[n % 2], loaders=Loaders.create(state.engine)))
        for n in range(2000)
    ]
    watcher = SocketWatcher(state.engine)
    watcher.sockets.update(sockets)  # type: ignore[arg-type]

    quiet = await watcher.sweep()
    await api.run(REVOKE_DEVICE, {"id": device_id}, admin_token)
    with statements(state) as sent:
        closed = await watcher.sweep()

    assert quiet == 0
    assert closed == 1000
    assert len(sent) == 1
    assert all(
        s.websocket.code == (4403 if n % 2 else None) and s.stopped == bool(n % 2) for n, s in enumerate(sockets)
    )
