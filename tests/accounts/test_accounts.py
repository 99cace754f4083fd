"""Sign-in, tokens, roles: least privilege by role and office, and nothing changes when permission is denied."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from core.runtime import AppState
from tests.support.api import ADMIN_PASSWORD, Api

CREATE_STAFF = """mutation($i: StaffInput!) { createStaff(input: $i) { __typename
    ... on StaffUser { id username roles { role office { slug } } }
    ... on ValidationError { field message } ... on UserError { code message } } }"""
ISSUE_DEVICE = """mutation($o: ID!, $k: DeviceKind!, $n: String!) { issueDeviceToken(officeId: $o, kind: $k, name: $n) {
    __typename ... on DeviceToken { token kind name office { slug } } ... on UserError { code message } } }"""
ME = "{ me { username roles { role office { slug } } } }"


async def staff(api: Api, token: str | None, username: str, roles: list[dict[str, Any]]) -> dict[str, Any]:
    data = await api.run(
        CREATE_STAFF, {"i": {"username": username, "password": "a long password 1", "roles": roles}}, token
    )
    result: dict[str, Any] = data["createStaff"]
    return result


async def rows(state: AppState, sql: str) -> list[Any]:
    async with state.engine.connect() as conn:
        return list(await conn.execute(text(sql)))


async def test_login_gives_a_session_that_me_reads(api: Api, admin_token: str) -> None:
    data = await api.run(ME, token=admin_token)

    assert data["me"] == {"username": "admin", "roles": [{"role": "ADMIN", "office": None}]}
    assert (await api.run(ME))["me"] is None


async def test_only_hashes_of_passwords_and_tokens_are_stored(api: Api, admin_token: str, state: AppState) -> None:
    stored = await rows(
        state, "SELECT u.password_hash, s.token_hash FROM staff_users u JOIN staff_sessions s ON s.staff_user_id = u.id"
    )

    password_hash, token_hash = stored[0]
    assert password_hash.startswith("$argon2")
    assert ADMIN_PASSWORD not in password_hash
    assert admin_token.encode() not in bytes(token_hash)
    assert len(bytes(token_hash)) == 32


async def test_wrong_password_is_not_allowed_and_repeated_failures_lock_the_user(api: Api, state: AppState) -> None:
    await api.make_admin(state)
    query = 'mutation($p: String!) { login(username: "admin", password: $p) { __typename ... on UserError { code } } }'

    failures = [(await api.run(query, {"p": "wrong"}))["login"] for _ in range(5)]
    locked = (await api.run(query, {"p": ADMIN_PASSWORD}))["login"]

    assert failures == [{"__typename": "NotAllowed", "code": "NOT_ALLOWED"}] * 5
    assert locked == {"__typename": "LimitExceeded", "code": "LIMIT_EXCEEDED"}


async def test_unknown_user_looks_like_a_wrong_password(api: Api) -> None:
    data = await api.run(
        'mutation { login(username: "nobody", password: "whatever") { __typename ... on UserError { message } } }'
    )

    assert data["login"] == {"__typename": "NotAllowed", "message": "Wrong username or password."}


async def test_a_bad_or_expired_token_is_a_top_level_authentication_error(
    api: Api, admin_token: str, state: AppState
) -> None:
    bad = await api.post("{ offices { id } }", token="ts_not-a-real-token")
    async with state.engine.begin() as conn:
        await conn.execute(text("UPDATE staff_sessions SET expires_at = now() - interval '1 second'"))
    expired = await api.post("{ me { username } }", token=admin_token)
    malformed = await api.client.post(
        "/graphql", json={"query": "{ offices { id } }"}, headers={"Authorization": "Basic abc"}
    )

    for response in (bad, expired, malformed):
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert response.json()["data"] is None


async def test_admin_creates_staff_with_office_grants(api: Api, admin_token: str) -> None:
    office_id = await api.office(admin_token, slug="centro")

    created = await staff(api, admin_token, "clerk.centro", [{"role": "CLERK", "officeId": office_id}])
    token = await api.login("clerk.centro", "a long password 1")
    me = await api.run(ME, token=token)

    assert created["roles"] == [{"role": "CLERK", "office": {"slug": "centro"}}]
    assert me["me"] == {"username": "clerk.centro", "roles": [{"role": "CLERK", "office": {"slug": "centro"}}]}


async def test_staff_validation_names_the_field(api: Api, admin_token: str, state: AppState) -> None:
    office_id = await api.office(admin_token)

    async def field(username: str, password: str, roles: list[dict[str, Any]]) -> str:
        data = await api.run(
            CREATE_STAFF, {"i": {"username": username, "password": password, "roles": roles}}, admin_token
        )
        assert data["createStaff"]["__typename"] == "ValidationError", data
        result: str = data["createStaff"]["field"]
        return result

    assert await field("x", "a long password 1", [{"role": "CLERK", "officeId": office_id}]) == "username"
    assert await field("clerk.one", "short", [{"role": "CLERK", "officeId": office_id}]) == "password"
    assert await field("clerk.one", "a long password 1", []) == "roles"
    assert await field("clerk.one", "a long password 1", [{"role": "CLERK"}]) == "roles.0.officeId"
    assert (
        await field("clerk.one", "a long password 1", [{"role": "ADMIN", "officeId": office_id}]) == "roles.0.officeId"
    )
    assert await field("clerk.one", "a long password 1", [{"role": "CLERK", "officeId": "999"}]) == "roles.0.officeId"
    assert await field("ADMIN", "a long password 1", [{"role": "CLERK", "officeId": office_id}]) == "username"
    assert len(await rows(state, "SELECT 1 FROM staff_users")) == 1


async def test_manager_rights_end_at_their_own_office(api: Api, admin_token: str, state: AppState) -> None:
    own = await api.office(admin_token, slug="own")
    other = await api.office(admin_token, slug="other")
    await staff(api, admin_token, "manager.own", [{"role": "MANAGER", "officeId": own}])
    manager = await api.login("manager.own", "a long password 1")
    before = await rows(state, "SELECT username FROM staff_users ORDER BY id")

    clerk_elsewhere = await staff(api, manager, "clerk.other", [{"role": "CLERK", "officeId": other}])
    new_admin = await staff(api, manager, "evil.admin", [{"role": "ADMIN"}])
    office = (
        await api.run(
            'mutation { upsertOffice(input: {slug: "new", name: "N", timezone: "UTC"}) { __typename } }', token=manager
        )
    )["upsertOffice"]
    token_elsewhere = (await api.run(ISSUE_DEVICE, {"o": other, "k": "KIOSK", "n": "K"}, manager))["issueDeviceToken"]
    clerk_here = await staff(api, manager, "clerk.own", [{"role": "CLERK", "officeId": own}])

    assert clerk_elsewhere["__typename"] == "NotAllowed"
    assert new_admin["__typename"] == "NotAllowed"
    assert office == {"__typename": "NotAllowed"}
    assert token_elsewhere["__typename"] == "NotAllowed"
    assert clerk_here["__typename"] == "StaffUser"
    after = await rows(state, "SELECT username FROM staff_users ORDER BY id")
    assert after == [*before, ("clerk.own",)]
    assert await rows(state, "SELECT count(*) FROM offices") == [(2,)]
    assert await rows(state, "SELECT count(*) FROM device_tokens") == [(0,)]


async def test_clerks_and_anonymous_callers_cannot_administer(api: Api, admin_token: str, state: AppState) -> None:
    office_id = await api.office(admin_token)
    await staff(api, admin_token, "clerk.x", [{"role": "CLERK", "officeId": office_id}])
    clerk = await api.login("clerk.x", "a long password 1")

    for token in (clerk, None):
        service = await api.run(
            'mutation { upsertService(input: {slug: "s", name: "S", durationMinutes: 10}) {'
            " __typename ... on UserError { code } } }",
            token=token,
        )
        staff_result = await staff(api, token, "someone", [{"role": "CLERK", "officeId": office_id}])
        device = (await api.run(ISSUE_DEVICE, {"o": office_id, "k": "DISPLAY", "n": "D"}, token))["issueDeviceToken"]
        release = await api.release(token, office_id)

        assert service["upsertService"] == {"__typename": "NotAllowed", "code": "NOT_ALLOWED"}
        assert staff_result["__typename"] == "NotAllowed"
        assert device["__typename"] == "NotAllowed"
        assert release["__typename"] == "NotAllowed"
    assert await rows(state, "SELECT count(*) FROM services") == [(0,)]
    assert await rows(state, "SELECT count(*) FROM device_tokens") == [(0,)]
    assert await rows(state, "SELECT count(*) FROM staff_users") == [(2,)]


async def test_device_tokens_are_shown_once_and_authenticate_as_their_office(
    api: Api, admin_token: str, state: AppState
) -> None:
    office_id = await api.office(admin_token, slug="centro")

    issued = await api.run(ISSUE_DEVICE, {"o": office_id, "k": "KIOSK", "n": "Entrada"}, admin_token)
    token = issued["issueDeviceToken"]["token"]
    as_device = await api.post("{ me { username } offices { slug } }", token=token)
    unknown = (await api.run(ISSUE_DEVICE, {"o": "999", "k": "KIOSK", "n": "x"}, admin_token))["issueDeviceToken"]

    assert issued["issueDeviceToken"]["kind"] == "KIOSK"
    assert issued["issueDeviceToken"]["office"] == {"slug": "centro"}
    assert as_device.status_code == 200
    assert as_device.json()["data"] == {"me": None, "offices": [{"slug": "centro"}]}
    assert unknown["__typename"] == "NotFound"
    stored = await rows(state, "SELECT token_hash FROM device_tokens")
    assert token.encode() not in bytes(stored[0][0])


async def test_create_admin_resets_the_password_and_ends_sessions(api: Api, state: AppState) -> None:
    old_token = await api.make_admin(state)

    from resolvers.accounts.staff import ensure_admin

    async with state.engine.begin() as conn:
        user, created = await ensure_admin(conn, "admin", "a brand new password")
    rejected = await api.post("{ me { username } }", token=old_token)
    new_token = await api.login("admin", "a brand new password")

    assert created is False
    assert user.username == "admin"
    assert rejected.status_code == 401
    assert (await api.run(ME, token=new_token))["me"]["username"] == "admin"
