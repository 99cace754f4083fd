"""CSV and calendar downloads for staff, authenticated with the same bearer token as the API:

- GET /analytics/stats.csv?from=&to=[&groupBy=OFFICE,HOUR][&officeIds=1,2][&serviceIds=3]: the `stats`
  operation itself (same checks, same SQL), streamed row by row as the database yields them;
- GET /analytics/desks/{deskId}/{date}.csv and .ics: a desk's appointments of one local day.

Refusals are JSON like the API's: 401 UNAUTHENTICATED, 403 NOT_ALLOWED, 400 INVALID_INPUT naming the field.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import date
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from core.errors import AuthenticationFailed, DomainError, ValidationFailed
from core.messages import language_of, msg
from core.runtime import AppState
from notifications.mail.ics import CALENDAR_CONTENT_TYPE, Appointment, calendar_of
from resolvers.accounts.viewer import Viewer
from resolvers.analytics.day_sheet import DaySheet, day_sheet
from resolvers.analytics.stats import Grouping, StatsFilter, StatsRowRecord, check_filter, stats_rows
from resolvers.catalogue.names import catalogue_names
from server.errors_http import Unavailable, refusal
from server.graphql_view import viewer_for

COLUMNS = (
    "total",
    "period",
    "weekday",
    "hour",
    "office_id",
    "office",
    "service_id",
    "service",
    "booked",
    "cancelled",
    "came",
    "no_shows",
    "no_show_rate",
    "walk_ins",
    "served",
    "demand",
    "unmet_searches",
    "wait_median_minutes",
    "wait_p90_minutes",
    "service_median_minutes",
    "service_p90_minutes",
    "lead_time_median_days",
    "lead_time_p90_days",
    "rating_count",
    "rating_average",
    "ratings_1",
    "ratings_2",
    "ratings_3",
    "ratings_4",
    "ratings_5",
    "estimate_count",
    "estimate_mean_minutes",
    "actual_mean_minutes",
    "estimate_bias_minutes",
    "estimate_mean_absolute_error_minutes",
)


def _error(error: AuthenticationFailed | Unavailable | DomainError, language: str) -> JSONResponse:
    """The refusal as JSON; a domain error's message in the caller's language, as the GraphQL UserErrors'."""
    answer = refusal(error)
    message = error.text.render(language) if isinstance(error, DomainError) else answer.message
    body: dict[str, Any] = {"error": {"code": answer.code, "message": message}}
    if answer.field:
        body["error"]["field"] = answer.field
    return JSONResponse(body, status_code=answer.status)


def _safe(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula (=, +, -, @) is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_line(values: Iterable[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_safe(v) for v in values])
    return buffer.getvalue()


def _list(request: Request, name: str) -> list[str] | None:
    raw = request.query_params.get(name)
    return [part.strip() for part in raw.split(",") if part.strip()] if raw else None


def _date(request: Request, name: str) -> date:
    raw = request.query_params.get(name)
    try:
        return date.fromisoformat(raw or "")
    except ValueError:
        raise ValidationFailed(name, msg("{name} must be a date, YYYY-MM-DD.", name=name)) from None


def _stats_filter(request: Request) -> StatsFilter:
    groups: list[Grouping] = []
    for value in _list(request, "groupBy") or []:
        try:
            groups.append(Grouping(value.upper()))
        except ValueError:
            raise ValidationFailed(
                "groupBy", msg("groupBy takes {values}.", values=", ".join(g.value for g in Grouping))
            ) from None
    return StatsFilter(
        date_from=_date(request, "from"),
        date_to=_date(request, "to"),
        office_ids=_list(request, "officeIds"),
        service_ids=_list(request, "serviceIds"),
        group_by=tuple(groups),
    )


async def _guarded(request: Request, handle: Callable[[AppState, Viewer], Awaitable[Response]]) -> Response:
    state: AppState = request.app.state.turnero
    try:
        viewer = await viewer_for(state, request.headers.get("authorization"))
        return await handle(state, viewer)
    except (AuthenticationFailed, Unavailable, DomainError) as error:
        return _error(error, language_of(request.headers.get("accept-language"), state.settings.default_language))


def _row(record: StatsRowRecord, offices: dict[int, str], services: dict[int, str]) -> list[object]:
    return [
        "TOTAL" if record.total else "",
        record.period,
        record.weekday,
        record.hour,
        record.office_id,
        offices.get(record.office_id) if record.office_id else None,
        record.service_id,
        services.get(record.service_id) if record.service_id else None,
        record.booked,
        record.cancelled,
        record.came,
        record.no_shows,
        record.no_show_rate,
        record.walk_ins,
        record.served,
        record.demand,
        record.unmet_searches,
        record.wait_median_minutes,
        record.wait_p90_minutes,
        record.service_median_minutes,
        record.service_p90_minutes,
        record.lead_time_median_days,
        record.lead_time_p90_days,
        record.rating_count,
        record.rating_average,
        *record.ratings,
        record.estimate_count,
        record.estimate_mean_minutes,
        record.actual_mean_minutes,
        record.estimate_bias_minutes,
        record.estimate_mean_absolute_error_minutes,
    ]


async def stats_csv(request: Request) -> Response:
    async def handle(state: AppState, viewer: Viewer) -> Response:
        data = _stats_filter(request)
        async with state.engine.connect() as conn:
            query = await check_filter(conn, viewer, data)  # refusals before the first byte is sent
            names = await catalogue_names(conn)

        async def lines() -> AsyncIterator[str]:
            yield _csv_line(COLUMNS)
            async with (
                state.engine.connect() as conn,
                contextlib.aclosing(stats_rows(conn, query, state.engine, replica=state.replica)) as records,
            ):
                async for record in records:
                    yield _csv_line(_row(record, names.offices, names.services))

        name = f"turnero-stats-{data.date_from}-{data.date_to}.csv"
        return StreamingResponse(
            lines(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )

    return await _guarded(request, handle)


async def _sheet(request: Request, state: AppState, viewer: Viewer) -> DaySheet:
    day = request.path_params["day"]
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise ValidationFailed("date", "date must be YYYY-MM-DD.") from None
    # the procedures named in the caller's language, as the console shows them
    language = language_of(request.headers.get("accept-language"), state.settings.default_language)
    async with state.engine.connect() as conn:
        return await day_sheet(conn, viewer, request.path_params["desk_id"], parsed, language)


def _local(sheet: DaySheet) -> ZoneInfo:
    return ZoneInfo(sheet.timezone)


async def desk_day_csv(request: Request) -> Response:
    async def handle(state: AppState, viewer: Viewer) -> Response:
        sheet = await _sheet(request, state, viewer)
        zone = _local(sheet)
        header = _csv_line(("start", "end", "service", "code", "citizen", "document", "status", "ticket"))
        body = header + "".join(
            _csv_line(
                (
                    e.starts_at.astimezone(zone).strftime("%H:%M"),
                    e.ends_at.astimezone(zone).strftime("%H:%M"),
                    e.service_name,
                    e.code,
                    e.citizen_name,
                    f"…{e.document_hint}",
                    e.status,
                    e.ticket_number or "",
                )
            )
            for e in sheet.entries
        )
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="desk-{sheet.day}.csv"',
                "Cache-Control": "no-store",
            },
        )

    return await _guarded(request, handle)


async def desk_day_ics(request: Request) -> Response:
    async def handle(state: AppState, viewer: Viewer) -> Response:
        sheet = await _sheet(request, state, viewer)
        host = urlsplit(state.settings.public_url).hostname or "turnero.localhost"
        ics = calendar_of(
            [
                Appointment(
                    uid=f"booking-{e.booking_id}@{host}",  # the same UID as the citizen's own calendar file
                    starts_at=e.starts_at,
                    ends_at=e.ends_at,
                    timezone=sheet.timezone,
                    summary=f"{e.service_name}: {e.citizen_name}",
                    location=f"{sheet.office_name}, {sheet.desk_name}",
                    description=f"{e.code} · …{e.document_hint} · {e.status}",
                )
                for e in sheet.entries
            ]
        )
        return Response(
            ics,
            media_type=CALENDAR_CONTENT_TYPE,
            headers={
                "Content-Disposition": f'attachment; filename="desk-{sheet.day}.ics"',
                "Cache-Control": "no-store",
            },
        )

    return await _guarded(request, handle)


def export_routes() -> list[BaseRoute]:
    return [
        Route("/analytics/stats.csv", stats_csv),
        Route("/analytics/desks/{desk_id}/{day}.csv", desk_day_csv),
        Route("/analytics/desks/{desk_id}/{day}.ics", desk_day_ics),
    ]
