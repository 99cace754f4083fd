"""Nothing personal reaches a log line, whoever logs it: our loggers, strawberry's, uvicorn's, SQLAlchemy's.

What leaked before: a failed statement's exception carries the SQL parameters (SQLAlchemy's message: names,
e-mails, phones, hashes) and PostgreSQL's DETAIL (`Key (email)=(…)`, `Failing row contains (…)`), and some
messages quote the value itself (`invalid input syntax for type integer: "…"`); strawberry's
`strawberry.execution` logger writes every error with the operation's text, literals and all.

So: the engine hides parameters (core/db.py), strawberry's execution logger is silenced (MaskFaults in
schema/extensions.py logs every fault once, with the request id and the traceback), and a filter on the
process's log handler rewrites any exception of the database drivers, in a record's traceback or among its
arguments, to its class, SQLSTATE and constraint name (an SMTP client's error, which quotes the recipient's
address, to its class and reply code): enough to know what failed and where, nothing of
what was sent. The traceback's frames are kept (they show code, never values).
"""

from __future__ import annotations

import logging
from typing import Any

# the database drivers, and the SMTP client, whose refusals quote the recipient's address
_DRIVERS = ("asyncpg", "sqlalchemy", "psycopg", "aiosmtplib")
_NAMES = ("sqlstate", "constraint_name", "table_name", "column_name", "code")


class Withheld(Exception):
    """Stands in, in a log line, for a database error whose message may hold what was sent."""


def _from_driver(error: BaseException) -> bool:
    return type(error).__module__.split(".")[0] in _DRIVERS


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and not any(current is known for known in seen):
        seen.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return seen


def summary(error: BaseException) -> str:
    """What may be logged of a database or SMTP error: its class and the names PostgreSQL gives (or the SMTP
    reply code), no message."""
    kind = type(error)
    source = getattr(error, "orig", None) or error  # SQLAlchemy's wrapper: the driver's error says more
    names = [f"{name}={value}" for name in _NAMES if (value := getattr(source, name, None))]
    withheld = "message withheld" if not names else ", ".join(names) + "; message withheld"
    return f"{kind.__module__}.{kind.__qualname__} ({withheld})"


def _stand_in(error: BaseException) -> BaseException:
    """A copy of the exception chain, tracebacks kept, where every database error says only its summary
    (the caller's exceptions are left as they are)."""
    relinked: BaseException | None = None
    for link in reversed(_chain(error)):
        kind = type(link)
        text = summary(link) if _from_driver(link) else f"{kind.__module__}.{kind.__qualname__}: {link}"
        copy = Withheld(text).with_traceback(link.__traceback__)
        copy.__cause__ = relinked
        copy.__suppress_context__ = True
        relinked = copy
    assert relinked is not None
    return relinked


def _needs_care(error: BaseException) -> bool:
    return any(_from_driver(link) for link in _chain(error))


def _safe(value: Any) -> Any:
    return summary(value) if isinstance(value, BaseException) and _needs_care(value) else value


class WithholdPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None and _needs_care(record.exc_info[1]):
            stand_in = _stand_in(record.exc_info[1])
            record.exc_info = (type(stand_in), stand_in, stand_in.__traceback__)
            record.exc_text = None
        if isinstance(record.msg, BaseException):
            record.msg = _safe(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_safe(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _safe(value) for key, value in record.args.items()}
        return True


def keep_private(handler: logging.Handler) -> None:
    """Puts the filter on the process's log handler, and silences strawberry's own error log."""
    handler.addFilter(WithholdPersonalData())
    # it logs each error with the operation's text, which carries whatever literals the caller wrote
    logging.getLogger("strawberry.execution").disabled = True
