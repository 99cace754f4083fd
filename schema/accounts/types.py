from __future__ import annotations

from datetime import datetime

import strawberry

from models.accounts import DeviceKind, Role
from resolvers.accounts.records import DeviceTokenRecord, RevokedRecord, SessionRecord, StaffUserRecord
from resolvers.accounts.viewer import Grant
from schema.bounds import MAX_ROLE_GRANTS, ListBound
from schema.catalogue.types import Office, load_office
from schema.context import Info

# the model's enums are the GraphQL enums: one set of names in SQL, Python and GraphQL
strawberry.enum(Role)
strawberry.enum(DeviceKind)


@strawberry.type
class RoleGrant:
    role: Role
    office_pk: strawberry.Private[int | None]

    @classmethod
    def from_grant(cls, grant: Grant) -> RoleGrant:
        return cls(role=grant.role, office_pk=grant.office_id)

    @strawberry.field
    async def office(self, info: Info) -> Office | None:
        return None if self.office_pk is None else await load_office(info, self.office_pk)


@strawberry.type
class StaffUser:
    id: strawberry.ID
    username: str
    roles: list[RoleGrant] = strawberry.field(extensions=[ListBound(MAX_ROLE_GRANTS)])
    disabled_at: datetime | None = strawberry.field(
        default=None, description="When disableStaff took the user's access away; null while they may sign in."
    )

    @classmethod
    def from_record(cls, record: StaffUserRecord) -> StaffUser:
        return cls(
            id=strawberry.ID(str(record.id)),
            username=record.username,
            roles=[RoleGrant.from_grant(g) for g in record.grants],
            disabled_at=record.disabled_at,
        )


@strawberry.type(description="A staff login. The token goes in the Authorization header.")
class Session:
    token: str
    expires_at: datetime
    user: StaffUser

    @classmethod
    def from_record(cls, record: SessionRecord) -> Session:
        return cls(token=record.token, expires_at=record.expires_at, user=StaffUser.from_record(record.user))


@strawberry.type(description="Returned once, when issued: only a hash of the token is kept.")
class DeviceToken:
    token: str
    kind: DeviceKind
    name: str
    office_pk: strawberry.Private[int]
    id: strawberry.ID = strawberry.field(description="The device token's ID, for revokeDeviceToken.")

    @classmethod
    def from_record(cls, record: DeviceTokenRecord) -> DeviceToken:
        return cls(
            token=record.token,
            kind=record.kind,
            name=record.name,
            office_pk=record.office_id,
            id=strawberry.ID(str(record.id)),
        )

    @strawberry.field
    async def office(self, info: Info) -> Office:
        return await load_office(info, self.office_pk)


@strawberry.type(description="A credential taken back (a device token, a partner key): it no longer authenticates.")
class Revoked:
    id: strawberry.ID
    revoked_at: datetime

    @classmethod
    def from_record(cls, record: RevokedRecord) -> Revoked:
        return cls(id=strawberry.ID(str(record.id)), revoked_at=record.revoked_at)
