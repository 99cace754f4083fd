"""Sign-in, the signed-in user, staff accounts and device tokens."""

from __future__ import annotations

from typing import Annotated

import strawberry

from models.accounts import DeviceKind, Role
from resolvers.accounts import sessions, staff
from schema.accounts.types import DeviceToken, Session, StaffUser
from schema.context import Info
from schema.errors import LimitExceeded, NotAllowed, NotFound, ValidationError, run_mutation, run_query

LoginResult = Annotated[Session | NotAllowed | LimitExceeded, strawberry.union("LoginResult")]
StaffResult = Annotated[StaffUser | ValidationError | NotAllowed, strawberry.union("StaffResult")]
DeviceTokenResult = Annotated[
    DeviceToken | ValidationError | NotFound | NotAllowed, strawberry.union("DeviceTokenResult")
]


@strawberry.input
class RoleGrantInput:
    role: Role
    office_id: strawberry.ID | None = None


@strawberry.input
class StaffInput:
    username: str
    password: str
    roles: list[RoleGrantInput]


@strawberry.type
class AccountsQuery:
    @strawberry.field(description="The signed-in staff user, or null.")
    async def me(self, info: Info) -> StaffUser | None:
        user_id = info.context.viewer.staff_user_id
        if user_id is None:
            return None
        return StaffUser.from_record(await run_query(info, lambda conn: sessions.staff_user(conn, user_id)))


@strawberry.type
class AccountsMutation:
    @strawberry.mutation
    async def login(self, info: Info, username: str, password: str) -> LoginResult:
        state = info.context.state
        settings = state.settings
        return await run_mutation(
            info,
            lambda conn: sessions.login(
                conn,
                state.redis,
                state.secret_key,
                username,
                password,
                session_hours=settings.session_hours,
                max_failures=settings.login_max_failures,
                lockout_seconds=settings.login_lockout_seconds,
            ),
            Session.from_record,
        )

    @strawberry.mutation(description="ADMIN; MANAGER for grants on their own offices (never ADMIN).")
    async def create_staff(self, info: Info, input: StaffInput) -> StaffResult:
        grants = [staff.GrantRequest(role=g.role, office_id=g.office_id) for g in input.roles]
        viewer = info.context.viewer
        return await run_mutation(
            info,
            lambda conn: staff.create_staff(conn, viewer, input.username, input.password, grants),
            StaffUser.from_record,
        )

    @strawberry.mutation(description="ADMIN, or MANAGER of the office.")
    async def issue_device_token(
        self, info: Info, office_id: strawberry.ID, kind: DeviceKind, name: str
    ) -> DeviceTokenResult:
        viewer = info.context.viewer
        secret_key = info.context.state.secret_key
        return await run_mutation(
            info,
            lambda conn: staff.issue_device_token(conn, viewer, secret_key, office_id, kind, name),
            DeviceToken.from_record,
        )
