"""The transaction runners of the root fields: one transaction per mutation, committed at the edge; reads
on their own pooled connection. A domain error becomes the field's UserError (schema/errors.py) or,
for queries without a result union, a top-level error."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncConnection

from core import availability_versions
from core.errors import BadRequest, DomainError
from core.messages import language_of
from core.runtime import lagging_read
from schema.context import Info
from schema.errors import to_user_error

Record = TypeVar("Record")


async def run_mutation(
    info: Info,
    operation: Callable[[AsyncConnection], Awaitable[Record]],
    present: Callable[[Record], Any],
    after: Callable[[Record], Awaitable[None]] | None = None,
    *,
    locale: str | None = None,
    transaction: bool = True,
) -> Any:
    """One transaction per mutation, committed at the edge; a domain error rolls it all back.

    Returns the presented record or the UserError; `Any` because each mutation's union names the
    errors its operation may raise, which the type system cannot follow through the callable. `locale`: the
    citizen's, for operations that carry one (`book`'s citizen.locale): their messages are in that language.
    `transaction` False: no BEGIN and COMMIT around it, each statement its own transaction (autocommit), for an
    operation whose writes are all one statement (`book` of one person: resolvers/booking/book.py).
    """
    state = info.context.state
    marks = None
    try:
        async with _connection(info, transaction) as conn:
            kept = availability_versions.marks_of(conn)
            try:
                record = await operation(conn)
            finally:
                # taken before the COMMIT that leaving the block sends (autocommit: each statement committed
                # already), bumped after it: see below
                marks = availability_versions.take(kept)
    except DomainError as error:
        return to_user_error(error, language_of(locale, info.context.language))
    finally:
        # after the transaction ended and before the answer is sent: a reader who reads the availability
        # versions after this mutation has answered never gets an answer cached before its commit. Rolled
        # back too (harmless: a miss), so that an ambiguous commit failure cannot leave a stale answer
        await availability_versions.bump(state.redis, marks)
    if after is not None:
        await after(record)  # after commit only: a rolled-back change never announces anything
    return present(record)


@asynccontextmanager
async def _connection(info: Info, transaction: bool) -> AsyncIterator[AsyncConnection]:
    """A connection in a transaction committed at the end (rolled back on an error), or one in autocommit."""
    engine = info.context.state.engine
    if transaction:
        async with engine.begin() as conn:
            yield conn
        return
    async with engine.connect() as conn:
        # no round trip: asyncpg's adapter only stops opening transactions (and the pool sets it back on return)
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


Read = TypeVar("Read")


async def run_query(
    info: Info,
    operation: Callable[[AsyncConnection], Awaitable[Read]],
    *,
    commit: bool = False,
    replica: bool = False,
) -> Read:
    """A read on its own pooled connection; a meaningless argument or a refusal becomes a top-level error
    (queries have no result unions to carry them). `commit`: the read also wrote what must outlive it (a
    search that found nothing counts itself as unmet demand, resolvers/analytics/unmet.py), committed here at
    the edge; the COMMIT takes the place of the ROLLBACK that closing would send. `replica`: a read that may lag
    (DATABASE_READ_URL's when set and reachable: core/runtime.lagging_read); whatever it writes must go to the
    primary itself."""
    state = info.context.state
    try:
        async with lagging_read(state) if replica else state.engine.connect() as conn:
            found = await operation(conn)
            if commit:
                await conn.commit()
            return found
    except BadRequest as error:
        raise GraphQLError(str(error), extensions={"code": "BAD_REQUEST", "field": error.field}) from None
    except DomainError as error:
        raise GraphQLError(str(error), extensions={"code": error.code}) from None


async def run_read(
    info: Info, operation: Callable[[AsyncConnection], Awaitable[Read]], present: Callable[[Read], Any]
) -> Any:
    """A read whose field has a result union: a refusal or bad filter becomes its UserError (ValidationError
    naming the field, NotAllowed), like a mutation's, instead of a top-level error."""
    try:
        async with info.context.state.engine.connect() as conn:
            record = await operation(conn)
    except DomainError as error:
        return to_user_error(error, info.context.language)
    return present(record)
