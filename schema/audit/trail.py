"""Every mutation by a staff user, a partner or a device leaves an audit entry: one field extension on every
root Mutation field (schema/root.py adds it), so no resolver has to remember.

What is written: the actor (kind, id, role), the mutation's name, the ids the operation named (its ID-typed
arguments, also inside input objects) and the id of the object it returned, the client address the rate
limiter keys callers by, and the outcome: OK, a UserError's code (NOT_ALLOWED… refused attempts are worth
keeping: someone probing other offices shows up here), or a top-level error's code (FAULT when unexpected).
Never an argument's value other than an id: names, e-mails, phones, notes, codes and tokens are String
arguments and are not read at all; an ID argument named for personal data (a document number) is skipped too.

Anonymous callers (citizens booking, cancelling with their code, joining a line) are not recorded: they are
not staff actions, and what they did is already in the booking's history and the queue's events, which
retention anonymises; a trail of them keyed by address would be a record of citizens that nothing erases.

The entry is written after the mutation's own transaction, in its own: a refusal leaves one too, and a trail
that cannot be written (database away) is logged and does not turn a done change into an error.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLField,
    GraphQLID,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
)
from sqlalchemy.exc import SQLAlchemyError
from strawberry.extensions import FieldExtension
from strawberry.extensions.field_extension import AsyncExtensionResolver, SyncExtensionResolver
from strawberry.types import Info

from realtime.library_internals import raw_info
from resolvers.audit import trail
from schema.bounds import field_arguments
from schema.errors import UserError

logger = logging.getLogger("turnero.audit")

# ID arguments whose value is a person's, not a record's (a future eraseCitizen(documentId:)): never written
PERSONAL_ID_ARGUMENTS = frozenset({"documentId", "document", "email", "phone", "name"})
MAX_RECORD_IDS = 50


def _kind(argument: str, operation: str) -> str:
    """What an ID argument names: officeId, serviceIds → office, service; a bare `id` names what the operation
    acts on, its name without the verb (revokeDeviceToken → deviceToken, retryOutboxMessage → outboxMessage)."""
    if argument == "id":
        noun = re.sub(r"^[a-z]+", "", operation)
        return noun[:1].lower() + noun[1:] if noun else operation
    return re.sub(r"Ids?$", "", argument) or argument


def _ids(kind: GraphQLInputType, value: Any, name: str, operation: str) -> Iterator[str]:
    """The ID values inside one argument's value, by the argument's GraphQL type, as `kind:id`."""
    if value is None or name in PERSONAL_ID_ARGUMENTS:
        return
    if isinstance(kind, GraphQLNonNull):
        yield from _ids(kind.of_type, value, name, operation)
    elif isinstance(kind, GraphQLList):
        for item in value if isinstance(value, list | tuple) else [value]:
            yield from _ids(kind.of_type, item, name, operation)
    elif kind is GraphQLID:
        yield f"{_kind(name, operation)}:{value}"
    elif isinstance(kind, GraphQLInputObjectType) and isinstance(value, Mapping):
        for field_name, field in kind.fields.items():
            key = field.out_name or field_name
            yield from _ids(field.type, value.get(key, value.get(field_name)), field_name, operation)


def named_ids(field: GraphQLField, operation: str, arguments: Mapping[str, Any]) -> list[str]:
    """The records a mutation's arguments name (`office:3`, `ticket:…`): ID-typed values only, never others."""
    found: list[str] = []
    for name, argument in field.args.items():
        found += _ids(argument.type, arguments.get(argument.out_name or name, arguments.get(name)), name, operation)
    return found[:MAX_RECORD_IDS]


def returned_id(result: Any, info: Info) -> str | None:
    """The object a mutation returned, or the object it wraps (BookingConfirmation.booking), as `type:id` with
    the id as the API shows it (a ticket's id is a resolver of its own: its public id)."""
    for candidate in (result, *(vars(result).values() if hasattr(result, "__dict__") else ())):
        value = getattr(candidate, "id", None)
        if callable(value):  # a resolver of the type's own (Ticket.id(info)): the id as the API shows it
            try:
                value = value(info)
            except TypeError:  # a resolver of another shape: no id rather than a fault after the change
                value = None
        definition = getattr(type(candidate), "__strawberry_definition__", None)
        if definition is not None and isinstance(value, str | int) and not isinstance(value, bool):
            name: str = definition.name
            return f"{name[:1].lower()}{name[1:]}:{value}"
    return None


def _outcome(result: Any) -> str:
    return result.code if isinstance(result, UserError) else "OK"


def _error_outcome(error: BaseException) -> str:
    code = error.extensions.get("code") if isinstance(error, GraphQLError) and error.extensions else None
    return code if isinstance(code, str) else "FAULT"


class AuditTrail(FieldExtension):
    """On a root Mutation field: runs it, then writes who did it, to what, from where, and how it ended."""

    def resolve(self, next_: SyncExtensionResolver, source: Any, info: Info, **kwargs: Any) -> Any:
        raise TypeError("AuditTrail is for async mutations only")  # every mutation here is async

    async def resolve_async(self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any) -> Any:
        context = info.context
        actor = trail.actor_of(context.viewer)
        if actor is None:
            return await next_(source, info, **kwargs)
        raw = raw_info(info)
        ids = named_ids(raw.parent_type.fields[raw.field_name], raw.field_name, field_arguments(raw))
        try:
            result = await next_(source, info, **kwargs)
        except Exception as error:
            await self._write(info, actor, ids, _error_outcome(error))
            raise
        made = returned_id(result, info) if not isinstance(result, UserError) else None
        if made is not None and made not in ids:  # an upsert's answer is often the record its input named
            ids = [*ids, made]
        await self._write(info, actor, ids, _outcome(result))
        return result

    @staticmethod
    async def _write(info: Info, actor: trail.Actor, ids: list[str], outcome: str) -> None:
        context = info.context
        operation = raw_info(info).field_name
        try:
            await trail.write(context.state.engine, actor, operation, ids, context.client_address, outcome)
        except (SQLAlchemyError, OSError):
            logger.exception("audit entry lost: %s by %s:%d (%s)", operation, actor.kind.value, actor.id, outcome)


def audit_every_mutation(mutation: type) -> None:
    """Puts AuditTrail first on every field of the root Mutation type, before the schema is built."""
    for field in mutation.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        field.extensions.insert(0, AuditTrail())
