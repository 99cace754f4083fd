"""Strawberry's ASGI view with our context: the caller is authenticated before the query runs."""

from __future__ import annotations

from typing import Any, cast

from cross_web import AsyncHTTPRequestAdapter
from graphql import specified_rules
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types.execution import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from core.errors import AuthenticationFailed
from core.health import is_unavailable
from core.messages import language_of, preferred_languages
from core.runtime import AppState
from dataloaders import Loaders
from realtime.library_internals import graphql_core_schema
from realtime.live import LiveQueue
from realtime.queue_feed import FeedSchema, QueuePlan, QueuePlanner
from realtime.transport_ws import QueueFeedSchema, QueueFeedTransport
from resolvers.accounts.sessions import authenticate
from resolvers.accounts.viewer import ANONYMOUS, Viewer
from resolvers.queue.records import QueueEventRecord
from schema.availability_cache import encode_response
from schema.context import Context
from schema.cost import COSTS
from schema.extensions import LIMIT_RULES, MAX_TOKENS
from schema.queue.types import QueueEvent
from schema.root import schema
from server import ws_sessions
from server.errors_http import Unavailable, refusal
from server.limits_http import RequestTooLarge, TextLimits
from server.ws_limits import LegacyProtocolRefused, LimitedTransportWS, connection_authorization, connection_language


def client_address(connection: HTTPConnection) -> str:
    """The caller's address: the TCP peer, or what a trusted proxy said (uvicorn's FORWARDED_ALLOW_IPS)."""
    return connection.client.host if connection.client is not None else "unknown"


def bearer_token(value: str | None) -> str | None:
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("Authorization must be 'Bearer <token>'.")
    return token.strip()


async def viewer_for(state: AppState, authorization: str | None) -> Viewer:
    token = bearer_token(authorization)
    if token is None:
        return ANONYMOUS
    try:
        async with state.engine.connect() as conn:
            return await authenticate(conn, state.secret_key, token)
    except AuthenticationFailed:
        raise
    except Exception as error:
        if is_unavailable(error):
            raise Unavailable(str(error)) from error
        raise


async def _execute_queue_event(context: Context, plan: QueuePlan, event: QueueEventRecord) -> ExecutionResult:
    """A shared feed's rendering of one event: as the plan's audience, with loaders of its own."""
    feed_context = Context(
        state=context.state,
        live=context.live,
        viewer=plan.audience,
        loaders=Loaders.create(context.state.engine),
        language=context.language,
        languages=context.languages,
    )
    return await schema.execute(
        plan.query,
        plan.variables,
        feed_context,
        QueueEvent.from_record(event),
        plan.operation_name,
        allowed_operation_types=(OperationType.SUBSCRIPTION,),
    )


class QueueFeedHandler(QueueFeedTransport[Context], LimitedTransportWS):
    """graphql-transport-ws: queueEvents from shared feeds (realtime/transport_ws.py), within the
    websocket limits (server/ws_limits.py), closed when its credential ends (server/ws_sessions.py)."""

    queue_feed = QueueFeedSchema(
        planner=QueuePlanner(
            FeedSchema(
                schema=graphql_core_schema(schema),
                rules=(*specified_rules, *LIMIT_RULES),
                max_tokens=MAX_TOKENS,
                cost=COSTS.cost,
            )
        ),
        execute=_execute_queue_event,
    )

    async def handle(self) -> None:
        async with ws_sessions.watched(self):
            await super().handle()

    async def stop_operations(self) -> None:
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)


def _error_response(status: int, message: str, code: str) -> JSONResponse:
    return JSONResponse(
        {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status
    )


def _refused_as_too_costly(response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse]) -> bool:
    if not isinstance(response_data, dict) or response_data.get("data") is not None:
        return False
    errors = cast(list[dict[str, Any]], response_data.get("errors") or [])
    return any((error.get("extensions") or {}).get("code") == "QUERY_TOO_COSTLY" for error in errors)


class TurneroGraphQL(GraphQL[Context, None]):
    # queueEvents from shared feeds (TURNERO_QUEUE_SHARED_FEED); everything else as strawberry serves it
    graphql_transport_ws_handler_class = QueueFeedHandler
    # create_app sets the configured ones (TURNERO_MAX_QUERY_CHARS, TURNERO_MAX_VARIABLE_CHARS)
    text_limits = TextLimits()
    # graphql-ws (legacy) has no connection_init timer and would go around every websocket limit
    graphql_ws_handler_class = LegacyProtocolRefused  # server/ws_limits.py

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except (AuthenticationFailed, Unavailable) as error:
            if scope["type"] != "http":
                raise
            answer = refusal(error)
            await _error_response(answer.status, answer.message, answer.code)(scope, receive, send)
        except RequestTooLarge as error:
            await _error_response(error.status, error.message, error.code)(scope, receive, send)

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData | list[GraphQLRequestData]:
        parsed = await super().parse_http_body(request)
        for data in parsed if isinstance(parsed, list) else [parsed]:
            self.text_limits.check(data.query, data.variables)
        return parsed

    def encode_json(self, data: object) -> str | bytes:
        """A cached availability answer is written as stored (schema/availability_cache.py); a batch, each."""
        if isinstance(data, list):
            return b"[" + b",".join(_as_bytes(self.encode_json(item)) for item in data) + b"]"
        return encode_response(data) or super().encode_json(data)

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if _refused_as_too_costly(response_data):
            response.status_code = 400  # a request the client must change, as for any malformed one
        return response

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """The token comes in connection_init; a present but invalid one closes the socket with 4403.

        No token at all is an anonymous citizen, who may only follow a ticket (ticketUpdates): the ticket
        page on a phone has no credentials, and the queue and board subscriptions refuse anonymous callers.
        """
        params = context.connection_params or {}
        said = connection_language(params)
        if said:
            context.language = language_of(said, context.language)
            context.languages = preferred_languages(said)
        authorization = connection_authorization(params)
        if authorization is not None:
            try:
                context.viewer = await viewer_for(context.state, str(authorization))
            except (AuthenticationFailed, Unavailable) as error:
                raise ConnectionRejectionError() from error
        return cast(UnsetType, UNSET)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        state: AppState = request.app.state.turnero
        live: LiveQueue = request.app.state.live_queue
        viewer = ANONYMOUS
        if isinstance(request, Request):
            viewer = await viewer_for(state, request.headers.get("authorization"))
        return Context(
            state=state,
            live=live,
            viewer=viewer,
            loaders=Loaders.create(state.engine),
            request=request,
            client_address=client_address(request),
            response=response if isinstance(response, Response) else None,
            # a websocket's upgrade request carries the header too; connection_init may say otherwise
            language=language_of(request.headers.get("accept-language"), state.settings.default_language),
            languages=preferred_languages(request.headers.get("accept-language")),
        )


def _as_bytes(encoded: str | bytes) -> bytes:
    return encoded.encode() if isinstance(encoded, str) else encoded
