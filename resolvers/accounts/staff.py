"""Staff accounts and device tokens: created by administrators (and managers for their own offices)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import delete, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import NotFoundError, ValidationFailed
from core.inputs import Id
from core.security import new_token, token_hash
from core.validation import id_field, parse_id, text_field
from models.accounts import ONE_USERNAME, DeviceKind, Role, device_tokens, role_grants, staff_sessions, staff_users
from models.catalogue import offices
from resolvers.accounts.passwords import new_password_hash
from resolvers.accounts.records import DeviceTokenRecord, StaffUserRecord
from resolvers.accounts.sessions import staff_user
from resolvers.accounts.viewer import Grant, Viewer
from resolvers.sql import any_id

_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{3,100}$")

# roles of one staff user: far above any real post, and what StaffUser.roles is bounded by
MAX_GRANTS = 50


@dataclass(frozen=True, slots=True)
class GrantRequest:
    role: Role
    office_id: Id | None = None


@dataclass(frozen=True, slots=True)
class NewStaff:
    """A checked username and the hash of its checked password, made before any transaction opens."""

    username: str
    password_hash: str


# usernames are unique whatever their case
def _username(value: str) -> str:
    username = value.strip()
    if not _USERNAME.match(username):
        raise ValidationFailed("username", "username must be 3 to 100 letters, digits or . _ @ -")
    return username


def _may_create_staff(viewer: Viewer) -> None:
    if not viewer.is_admin and not any(g.role is Role.MANAGER for g in viewer.grants):
        viewer.require_admin()


async def new_staff(viewer: Viewer, username: str, password: str) -> NewStaff:
    """createStaff's first half: who may, the username, the password's strength and its hash (on the hashing
    threads, with no connection held), refused before argon2 runs for a caller who may not create staff."""
    _may_create_staff(viewer)
    checked = _username(username)
    return NewStaff(checked, await new_password_hash(password, checked))


async def _existing_offices(conn: AsyncConnection, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    return set((await conn.execute(select(offices.c.id).where(offices.c.id == any_id(list(ids))))).scalars())


async def _grants(conn: AsyncConnection, viewer: Viewer, requests: list[GrantRequest]) -> list[Grant]:
    if not requests:
        raise ValidationFailed("roles", "A staff user needs at least one role.")
    if len(requests) > MAX_GRANTS:
        raise ValidationFailed("roles", f"A staff user holds at most {MAX_GRANTS} roles.")
    grants: list[Grant] = []
    for index, request in enumerate(requests):
        field = f"roles.{index}.officeId"
        if request.role is Role.ADMIN:
            if request.office_id is not None:
                raise ValidationFailed(field, "ADMIN holds every office: give no officeId.")
            grants.append(Grant(Role.ADMIN, None))
        elif request.office_id is None:
            # the city's phone line answers for every office: an OPERATOR without an office (ADMIN only, below)
            if request.role is not Role.OPERATOR:
                raise ValidationFailed(field, f"{request.role.value} needs an officeId.")
            grants.append(Grant(Role.OPERATOR, None))
        else:
            grants.append(Grant(request.role, id_field(field, request.office_id)))
    known = await _existing_offices(conn, {g.office_id for g in grants if g.office_id is not None})
    for index, grant in enumerate(grants):
        if grant.office_id is not None and grant.office_id not in known:
            raise ValidationFailed(f"roles.{index}.officeId", "No office has this ID.")
        # a manager hands out rights only over their own offices, and never ADMIN nor every office
        if grant.office_id is None:
            viewer.require_admin()
        else:
            viewer.require_role(grant.office_id, Role.MANAGER)
    return list(dict.fromkeys(grants))


async def create_staff(
    conn: AsyncConnection, viewer: Viewer, new: NewStaff, roles: list[GrantRequest]
) -> StaffUserRecord:
    grants = await _grants(conn, viewer, roles)
    created = (
        insert(staff_users)
        .values(username=new.username, password_hash=new.password_hash)
        .on_conflict_do_nothing(index_elements=ONE_USERNAME.expressions)
        .returning(staff_users.c.id)
    )
    user_id = (await conn.execute(created)).scalar()
    if user_id is None:
        raise ValidationFailed("username", "This username is taken.")
    await conn.execute(
        insert(role_grants),
        [{"staff_user_id": user_id, "role": g.role, "office_id": g.office_id} for g in grants],
    )
    return await staff_user(conn, user_id)


async def ensure_admin(conn: AsyncConnection, username: str, password: str) -> tuple[StaffUserRecord, bool]:
    """create-admin: creates the user or resets its password (enabling it again if it was disabled: this is
    how an installation recovers its administrators), and makes sure it holds ADMIN."""
    username = _username(username)
    password_hash = await new_password_hash(password, username)
    upsert = insert(staff_users).values(username=username, password_hash=password_hash)
    upsert = upsert.on_conflict_do_update(
        index_elements=ONE_USERNAME.expressions,
        set_={"password_hash": upsert.excluded.password_hash, "disabled_at": None},
    )
    # PostgreSQL's xmax is 0 on a row the statement inserted, and not on one it updated
    upserted = upsert.returning(staff_users.c.id, (literal_column("xmax") == literal_column("0")).label("created"))
    row = (await conn.execute(upserted)).mappings().one()
    await conn.execute(
        insert(role_grants).values(staff_user_id=row["id"], role=Role.ADMIN, office_id=None).on_conflict_do_nothing()
    )
    # a reset password ends every open session of that user
    await conn.execute(delete(staff_sessions).where(staff_sessions.c.staff_user_id == row["id"]))
    return await staff_user(conn, row["id"]), bool(row["created"])


async def issue_device_token(
    conn: AsyncConnection,
    viewer: Viewer,
    secret_key: bytes,
    office_id: str,
    kind: DeviceKind,
    name: str,
    *,
    token: str | None = None,
) -> DeviceTokenRecord:
    office = parse_id(office_id)
    exists = (
        office is not None
        and (await conn.execute(select(offices.c.id).where(offices.c.id == office))).first() is not None
    )
    if office is None or not exists:
        raise NotFoundError("No office has this ID.")
    viewer.require_role(office, Role.MANAGER)
    name = text_field("name", name, max_length=100)
    token = token or new_token("td_")
    digest = token_hash(secret_key, token)
    # a given token (the demo's) issued again is the same device
    issued = insert(device_tokens).values(token_hash=digest, kind=kind, name=name, office_id=office)
    issued = issued.on_conflict_do_update(
        index_elements=[device_tokens.c.token_hash], set_={"token_hash": issued.excluded.token_hash}
    )
    device_id = (await conn.execute(issued.returning(device_tokens.c.id))).scalar_one()
    return DeviceTokenRecord(id=device_id, token=token, kind=kind, name=name, office_id=office)
