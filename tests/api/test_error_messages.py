"""Issue 16, point 1: every UserError message in Spanish or English, by the request's Accept-Language or the
citizen's locale (core/messages.py; translated in schema/errors.py).

The catalogue test walks every message the code can raise, found as gettext finds them (babel's extractor
over the source), so that a new message without a Spanish translation fails here; the end-to-end tests ask one
error of each code through the GraphQL endpoint in both languages."""

from __future__ import annotations

import ast
import asyncio
import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from core.errors import ErrorCode
from core.messages import LANGUAGES, catalogue, language_of, msg, placeholders
from core.runtime import AppState
from tests.support.api import Api
from tests.support.booking import BOOK, CANCEL, bookable_slots, citizen
from tests.support.front_desk import CALL_NEXT, front_desk
from tests.support.live import Socket, websocket_url

ROOT = Path(__file__).resolve().parents[2]
# the server's packages: everything that may raise a domain error (the kiosk program and the tests do not)
PACKAGES = (
    "core",
    "models",
    "resolvers",
    "notifications",
    "dataloaders",
    "realtime",
    "schema",
    "server",
    "jobs",
    "demo",
)
# where a message is written: `msg(template, …)`, and the literal a domain error is made with (its position)
MESSAGE_ARGUMENT = {
    "msg": 1,
    "DomainError": 1,
    "NotFoundError": 1,
    "NotAllowedError": 1,
    "InvalidStateError": 1,
    "LimitExceededError": 1,
    "QueueEmptyError": 1,
    "ChallengeRequiredError": 1,
    "UnsafeUrl": 1,
    "ValidationFailed": 2,
    "SlotUnavailableError": 2,
}


def _sources() -> list[Path]:
    return [path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]


def raised_templates() -> dict[str, str]:
    """Every message template in the source, with where it is first written, as babel's extractor finds them."""
    keywords = {name: (position,) for name, position in MESSAGE_ARGUMENT.items()}
    found: dict[str, str] = {}
    with warnings.catch_warnings():
        # the extractor warns about f-strings in other arguments (a ValidationFailed's field name)
        warnings.simplefilter("ignore")
        for package in PACKAGES:
            for filename, line, message, _, _ in extract_from_dir(
                ROOT / package, method_map=[("**.py", "python")], keywords=keywords
            ):
                assert isinstance(message, str), (package, filename, line, message)
                found.setdefault(message, f"{package}/{filename}:{line}")
    return found


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def _readable(argument: ast.expr) -> bool:
    """A domain error's message as the extractor reads it: a literal, msg(…), a name (a Message kept in a
    variable or constant, typed so by mypy), or a choice between those."""
    if isinstance(argument, ast.IfExp):
        return _readable(argument.body) and _readable(argument.orelse)
    if isinstance(argument, ast.Call):
        return _called_name(argument) == "msg"
    if isinstance(argument, ast.Constant):
        return isinstance(argument.value, str)
    return isinstance(argument, ast.Name | ast.Attribute)


def test_every_message_the_code_raises_is_written_where_the_extractor_reads_it() -> None:
    """A template is a literal (never an f-string or a joined text: those escape extraction and translation);
    a domain error is made with a literal, a msg(…), or a name bound to a Message. Every subclass of DomainError
    is a keyword of the extractor, so its literals are found."""
    errors = {"DomainError"}
    trees = {path: ast.parse(path.read_text(), str(path)) for path in _sources()}
    grown = True
    while grown:  # subclasses of subclasses, wherever defined
        grown = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in errors:
                    if any(isinstance(base, ast.Name) and base.id in errors for base in node.bases):
                        errors.add(node.name)
                        grown = True
    assert errors - {"UnsafeUrl"} <= set(MESSAGE_ARGUMENT), errors - set(MESSAGE_ARGUMENT)
    problems = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _called_name(node) not in MESSAGE_ARGUMENT:
                continue
            name = _called_name(node)
            position = MESSAGE_ARGUMENT[str(name)] - 1
            if len(node.args) <= position:
                continue  # a subclass's own __init__ calling super().__init__(message) with its argument
            argument = node.args[position]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if name == "msg":
                if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
                    problems.append(f"{where}: msg() needs a literal template")
            elif not _readable(argument):
                problems.append(f"{where}: {name} made with {ast.unparse(argument)}")
    assert not problems, "\n".join(problems)


def test_every_message_has_a_spanish_translation_with_the_same_placeholders() -> None:
    templates = raised_templates()
    assert len(templates) > 150  # the extractor did find the code's messages
    spanish = catalogue("es")
    missing = [f"{where}: {template!r}" for template, where in templates.items() if template not in spanish]
    assert not missing, "no Spanish translation in core/locale/es/LC_MESSAGES/errors.po:\n" + "\n".join(missing)
    mismatched = [
        f"{template!r} -> {spanish[template]!r}"
        for template in templates
        if placeholders(spanish[template]) != placeholders(template)
    ]
    assert not mismatched, "\n".join(mismatched)
    # and nothing is kept that no code says any more
    assert set(spanish) <= set(templates), set(spanish) - set(templates)


def test_the_caller_s_languages_are_negotiated_in_their_order() -> None:
    assert LANGUAGES == ("es", "en")
    assert language_of("es-AR", "en") == "es"
    assert language_of("en-US,en;q=0.9", "es") == "en"
    assert language_of("en-US;q=0.8,es", "en") == "es"  # quality, not order of writing
    assert language_of("fr-FR, en;q=0.5", "es") == "en"
    assert language_of("fr, de", "es") == "es"
    assert language_of("*", "es") == "es"
    assert language_of(None, "es") == "es"
    assert language_of("es_AR", "en") == "es"  # a citizen's locale as POSIX writes it


def test_a_message_with_values_translates_them_too() -> None:
    how = msg("Solve the challenge given (ALTCHA) and send its payload as `challenge`.")
    expired = msg("The challenge has expired. {how}", how=how)
    assert expired.render("en") == f"The challenge has expired. {how.render('en')}"
    assert (
        expired.render("es")
        == "El desafío venció. Resolvé el desafío indicado (ALTCHA) y enviá su resultado como `challenge`."
    )
    full = msg("At most {count} entries to a draw come from one address.", count=4)
    assert full.render("es") == "Desde una misma dirección se permiten como máximo 4 inscripciones por sorteo."


SPANISH = "es-AR"
ENGLISH = "en-US,en;q=0.9"

OFFICE = "mutation($i: OfficeInput!) { upsertOffice(input: $i) { __typename ... on UserError { code message } } }"
RELEASE = "mutation { releaseSlots { __typename ... on UserError { code message } } }"


async def _ask(api: Api, language: str | None, document: str, variables: dict[str, Any], token: str | None) -> Any:
    """The first root field's answer to one document, sent with Accept-Language `language`."""
    before, api.language = api.language, language
    try:
        data = await api.run(document, variables, token)
    finally:
        api.language = before
    return next(iter(data.values()))


async def test_one_error_of_each_code_in_spanish_and_in_english(api: Api, admin_token: str, state: AppState) -> None:
    free, taken = await bookable_slots(api, admin_token, capacity=1, slots_per_day=2, challengePolicy="NEVER")
    stranger = citizen("27999999") | {"locale": None}  # no locale of their own: the request's language applies
    first = await api.run(BOOK, {"i": {"slotId": taken, "citizen": citizen() | {"locale": None}}})
    assert first["book"]["__typename"] == "BookingConfirmation", first
    confirmation = first["book"]
    cancelled = await api.run(BOOK, {"i": {"slotId": free, "citizen": citizen("27888888")}})
    code, token = cancelled["book"]["booking"]["code"], cancelled["book"]["manageToken"]
    assert (await api.run(CANCEL, {"c": code, "t": token}))["cancelBooking"]["__typename"] == "Booking"
    challenged = await bookable_slots(
        api, admin_token, service_slug="pasaporte", office_slug="norte", challengePolicy="ALWAYS"
    )
    desk = await front_desk(api, admin_token, slug="sur")

    asked: dict[ErrorCode, tuple[str, dict[str, Any], str | None]] = {
        ErrorCode.INVALID_INPUT: (
            OFFICE,
            {"i": {"slug": "oeste", "name": "Oeste", "timezone": "Mars/Olympus"}},
            admin_token,
        ),
        ErrorCode.NOT_FOUND: (CANCEL, {"c": "NOSUCH", "t": "not-a-token"}, None),
        ErrorCode.NOT_ALLOWED: (RELEASE, {}, None),
        ErrorCode.INVALID_STATE: (CANCEL, {"c": code, "t": token}, None),
        # the same person again: the per-citizen limit (one booking of the procedure)
        ErrorCode.LIMIT_EXCEEDED: (BOOK, {"i": {"slotId": free, "citizen": citizen() | {"locale": None}}}, None),
        ErrorCode.QUEUE_EMPTY: (CALL_NEXT, {"d": desk.desks["1"]}, desk.clerk),
        ErrorCode.SLOT_FULL: (BOOK, {"i": {"slotId": taken, "citizen": stranger}}, None),
        ErrorCode.CHALLENGE_REQUIRED: (BOOK, {"i": {"slotId": challenged[0], "citizen": stranger}}, None),
    }
    expected = {
        ErrorCode.INVALID_INPUT: (
            "'Mars/Olympus' no es una zona horaria IANA como America/Argentina/Cordoba.",
            "'Mars/Olympus' is not an IANA time zone such as Europe/Madrid.",
        ),
        ErrorCode.NOT_FOUND: ("Ningún turno tiene este código y este token.", "No booking has this code and token."),
        ErrorCode.NOT_ALLOWED: ("Solo un administrador puede hacer esto.", "Only an administrator may do this."),
        ErrorCode.INVALID_STATE: (
            "No se puede cancelar un turno que está cancelado.",
            "A cancelled booking cannot be cancelled.",
        ),
        ErrorCode.LIMIT_EXCEEDED: (
            "Esta persona ya tiene 1 turno(s) para este trámite, el máximo permitido.",
            "This person already holds 1 booking(s) for this procedure, the most allowed.",
        ),
        ErrorCode.QUEUE_EMPTY: (
            "No hay nadie esperando los trámites de este puesto.",
            "Nobody is waiting for this desk's services.",
        ),
        ErrorCode.SLOT_FULL: ("Este horario se acaba de ocupar.", "This slot has just been taken."),
        ErrorCode.CHALLENGE_REQUIRED: (
            "Este trámite pide un desafío resuelto para cada reserva en línea. Resolvé el desafío indicado (ALTCHA) "
            "y enviá su resultado como `challenge`.",
            "This procedure asks every online booking for a solved challenge. Solve the challenge given (ALTCHA) "
            "and send its payload as `challenge`.",
        ),
    }
    for error_code, (document, variables, caller) in asked.items():
        spanish = await _ask(api, SPANISH, document, variables, caller)
        english = await _ask(api, ENGLISH, document, variables, caller)
        unsaid = await _ask(api, None, document, variables, caller)
        assert spanish["code"] == english["code"] == error_code, (spanish, english)
        assert (spanish["message"], english["message"]) == expected[error_code], error_code
        assert unsaid["message"] == spanish["message"]  # nothing said: the demo city's Spanish
    assert confirmation["booking"]["status"] == "BOOKED"


@pytest.mark.parametrize(("locale", "header", "expected"), [("en", SPANISH, "en"), ("es", ENGLISH, "es")])
async def test_book_answers_in_the_citizen_s_locale(
    api: Api, admin_token: str, locale: str, header: str, expected: str
) -> None:
    """The citizen's own language wins over the caller's: the booking is theirs, and so are its mails."""
    slot = (await bookable_slots(api, admin_token, capacity=1, challengePolicy="NEVER"))[0]
    first = await _ask(api, header, BOOK, {"i": {"slotId": slot, "citizen": citizen()}}, None)
    assert first["__typename"] == "BookingConfirmation", first
    person = citizen("27777777") | {"locale": locale}
    full = await _ask(api, header, BOOK, {"i": {"slotId": slot, "citizen": person}}, None)
    assert full["code"] == "SLOT_FULL"
    assert full["message"] == msg("This slot has just been taken.").render(expected)
    # a locale we do not speak is refused in the caller's language
    refused = await _ask(api, header, BOOK, {"i": {"slotId": slot, "citizen": person | {"locale": "fr"}}}, None)
    assert refused["field"] == "citizen.locale"
    assert refused["message"] == msg("locale must be one of: {values}.", values="es, en").render(
        language_of(header, "es")
    )


async def _over_websocket(base: str, headers: dict[str, str], payload: dict[str, Any]) -> str:
    """An anonymous releaseSlots sent over graphql-transport-ws: its UserError's message."""
    url, protocols = websocket_url(base), [Subprotocol("graphql-transport-ws")]
    async with connect(url, subprotocols=protocols, additional_headers=headers) as connection:
        await connection.send(json.dumps({"type": "connection_init", "payload": payload}))
        assert json.loads(await asyncio.wait_for(connection.recv(), 10))["type"] == "connection_ack"
        socket = Socket(connection)
        await socket.subscribe("release", RELEASE, {})
        refused = (await socket.next("release"))["releaseSlots"]
    assert refused["code"] == "NOT_ALLOWED", refused
    message: str = refused["message"]
    return message


@pytest.mark.slow
async def test_a_websocket_speaks_the_language_of_its_connection(one_server: str) -> None:
    """connection_init's Accept-Language (browsers set no headers on a websocket), else the upgrade request's."""
    spanish, english = "Solo un administrador puede hacer esto.", "Only an administrator may do this."
    assert await _over_websocket(one_server, {"Accept-Language": ENGLISH}, {}) == english
    assert await _over_websocket(one_server, {"Accept-Language": ENGLISH}, {"Accept-Language": SPANISH}) == spanish
    assert await _over_websocket(one_server, {}, {"Accept-Language": "en"}) == english
    assert await _over_websocket(one_server, {}, {}) == spanish
