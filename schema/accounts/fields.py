"""Sign-in and sign-out, the signed-in user, staff accounts, device tokens, and taking credentials back."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from core.errors import DomainError
from models.accounts import DeviceKind
from resolvers.accounts import revocation, sessions, staff
from resolvers.accounts.throttle import LoginLimits
from schema.accounts.types import DeviceToken, Revoked, Session, StaffUser
from schema.context import Info
from schema.errors import LimitExceeded, NotAllowed, NotFound, ValidationError, to_user_error
from schema.input_types import InputOf
from schema.operation import run_mutation, run_query

LoginResult = Annotated[Session | NotAllowed | LimitExceeded, strawberry.union("LoginResult")]
StaffResult = Annotated[StaffUser | ValidationError | NotAllowed, strawberry.union("StaffResult")]
DeviceTokenResult = Annotated[
    DeviceToken | ValidationError | NotFound | NotAllowed, strawberry.union("DeviceTokenResult")
]
RevokeResult = Annotated[Revoked | NotFound | NotAllowed, strawberry.union("RevokeResult")]
DisableStaffResult = Annotated[StaffUser | NotFound | NotAllowed, strawberry.union("DisableStaffResult")]


class RoleGrantInput(InputOf[staff.GrantRequest]):
    pass


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
        limits = LoginLimits(
            max_failures=settings.login_max_failures,
            max_address_failures=settings.login_address_max_failures,
            window_seconds=settings.login_lockout_seconds,
        )
        try:
            # not run_mutation: no transaction may be open while the password is verified
            record = await sessions.login(
                state.engine,
                state.redis,
                state.secret_key,
                username,
                password,
                client_address=info.context.client_address,
                session_hours=settings.session_hours,
                limits=limits,
            )
        except DomainError as error:
            return _refusal(info, error)
        return Session.from_record(record)

    @strawberry.mutation(
        description="Ends the caller's staff session: its token gets 401 from now on and its open websockets "
        "close. True when a session ended; false for callers without one (anonymous, device tokens and partner "
        "keys, which ADMINs and MANAGERs revoke)."
    )
    async def logout(self, info: Info) -> bool:
        viewer = info.context.viewer
        ended: bool = await run_mutation(info, lambda conn: sessions.logout(conn, viewer), lambda ended: ended)
        return ended

    @strawberry.mutation(description="ADMIN; MANAGER for grants on their own offices (never ADMIN).")
    async def create_staff(self, info: Info, input: StaffInput) -> StaffResult:
        grants = [grant.data() for grant in input.roles]
        viewer = info.context.viewer
        try:
            # hashed before the transaction opens: argon2 holds no pooled connection
            new = await staff.new_staff(viewer, input.username, input.password)
        except DomainError as error:
            return _refusal(info, error)
        return await run_mutation(
            info, lambda conn: staff.create_staff(conn, viewer, new, grants), StaffUser.from_record
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

    @strawberry.mutation(
        description="ADMIN, or MANAGER of the device's office: the token gets 401 from now on and the device's open "
        "websockets close (4403) within seconds."
    )
    async def revoke_device_token(self, info: Info, id: strawberry.ID) -> RevokeResult:
        viewer = info.context.viewer
        return await run_mutation(
            info, lambda conn: revocation.revoke_device_token(conn, viewer, id), Revoked.from_record
        )

    @strawberry.mutation(description="ADMIN: the key gets 401 from now on and its open websockets close (4403).")
    async def revoke_partner_key(self, info: Info, id: strawberry.ID) -> RevokeResult:
        viewer = info.context.viewer
        return await run_mutation(
            info, lambda conn: revocation.revoke_partner_key(conn, viewer, id), Revoked.from_record
        )

    @strawberry.mutation(
        description="ADMIN; MANAGER for staff who work only at offices they manage (and are not ADMIN). The user "
        "cannot sign in any more; every session of theirs ends, websockets included. Nobody disables themselves."
    )
    async def disable_staff(self, info: Info, id: strawberry.ID) -> DisableStaffResult:
        viewer = info.context.viewer
        return await run_mutation(info, lambda conn: revocation.disable_staff(conn, viewer, id), StaffUser.from_record)


def _refusal(info: Info, error: DomainError) -> Any:
    """The UserError for a refusal met before run_mutation (it checks that the union has it, we cannot)."""
    return to_user_error(error, info.context.language)
