"""ADMIN: partners' webhook endpoints and their delivery log."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.outbox.admin import MAX_LIMIT
from resolvers.webhooks import deliveries, endpoints, history
from schema.bounds import MAX_WEBHOOK_ENDPOINTS, ListBound
from schema.context import Info
from schema.errors import InvalidState, NotAllowed, NotFound, ValidationError
from schema.input_types import InputOf
from schema.operation import run_mutation, run_query
from schema.webhooks.types import (
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointRegistration,
    WebhookEvent,
    WebhookReplay,
)

WebhookEndpointResult = Annotated[
    WebhookEndpointRegistration | ValidationError | NotFound | NotAllowed, strawberry.union("WebhookEndpointResult")
]
RotateWebhookSecretResult = Annotated[
    WebhookEndpointRegistration | NotFound | NotAllowed | InvalidState, strawberry.union("RotateWebhookSecretResult")
]
DeactivateWebhookEndpointResult = Annotated[
    WebhookEndpoint | NotFound | NotAllowed, strawberry.union("DeactivateWebhookEndpointResult")
]

SetWebhookLegacyEventNamesResult = Annotated[
    WebhookEndpoint | NotFound | NotAllowed, strawberry.union("SetWebhookLegacyEventNamesResult")
]
ReplayWebhookEventsResult = Annotated[
    WebhookReplay | NotFound | NotAllowed | InvalidState, strawberry.union("ReplayWebhookEventsResult")
]


class WebhookEndpointInput(InputOf[endpoints.EndpointInput]):
    pass


@strawberry.type
class WebhookQuery:
    @strawberry.field(
        description="ADMIN: webhook endpoints, of one partner or of all.", extensions=[ListBound(MAX_WEBHOOK_ENDPOINTS)]
    )
    async def webhook_endpoints(self, info: Info, partner_id: strawberry.ID | None = None) -> list[WebhookEndpoint]:
        viewer = info.context.viewer
        records = await run_query(info, lambda conn: endpoints.endpoints(conn, viewer, partner_id))
        return [WebhookEndpoint.from_record(record) for record in records]

    @strawberry.field(
        description="ADMIN: an endpoint's deliveries, newest first, each with every try it took.",
        extensions=[ListBound.argument("limit", MAX_LIMIT)],
    )
    async def webhook_deliveries(
        self, info: Info, endpoint_id: strawberry.ID, status: str | None = None, limit: int = 50
    ) -> list[WebhookDelivery]:
        viewer = info.context.viewer
        records = await run_query(info, lambda conn: deliveries.deliveries(conn, viewer, endpoint_id, status, limit))
        return [WebhookDelivery.from_record(record) for record in records]

    @strawberry.field(
        description="The endpoint's own partner (a key with bookings:read) or ADMIN: its events in the order they "
        "happened, after the cursor `after` (an event's id; from the first kept without it), each with its payload "
        "as sent and its delivery status. Kept 30 days after delivery.",
        extensions=[ListBound.argument("limit", history.MAX_EVENTS)],
    )
    async def webhook_events(
        self, info: Info, endpoint_id: strawberry.ID, after: strawberry.ID | None = None, limit: int = 50
    ) -> list[WebhookEvent]:
        viewer = info.context.viewer
        records = await run_query(info, lambda conn: history.events(conn, viewer, endpoint_id, after, limit))
        return [WebhookEvent.from_record(record) for record in records]


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(
        description="ADMIN: a partner's endpoint for the chosen events. The signing secret is in the result, "
        "and only there."
    )
    async def register_webhook_endpoint(self, info: Info, input: WebhookEndpointInput) -> WebhookEndpointResult:
        viewer, secret_key = info.context.viewer, info.context.state.secret_key
        data = input.data()
        return await run_mutation(
            info,
            lambda conn: endpoints.register(conn, viewer, secret_key, data),
            WebhookEndpointRegistration.from_record,
        )

    @strawberry.mutation(
        description="ADMIN: a new signing secret for an endpoint, in the result and only there. For 24 hours "
        "each delivery carries a signature with the new secret and one with the previous, so the partner can "
        "switch without a delivery failing its check."
    )
    async def rotate_webhook_secret(self, info: Info, id: strawberry.ID) -> RotateWebhookSecretResult:
        viewer, secret_key = info.context.viewer, info.context.state.secret_key
        return await run_mutation(
            info,
            lambda conn: endpoints.rotate_secret(conn, viewer, secret_key, id),
            WebhookEndpointRegistration.from_record,
        )

    @strawberry.mutation(description="ADMIN: stops an endpoint; its pending deliveries end FAILED.")
    async def deactivate_webhook_endpoint(self, info: Info, id: strawberry.ID) -> DeactivateWebhookEndpointResult:
        viewer = info.context.viewer
        return await run_mutation(
            info, lambda conn: endpoints.deactivate(conn, viewer, id), WebhookEndpoint.from_record
        )

    @strawberry.mutation(
        description="ADMIN: whether the endpoint's events carry the old SCREAMING_CASE type names (for one "
        "release) or the dot-separated ones. Events already made keep theirs."
    )
    async def set_webhook_legacy_event_names(
        self, info: Info, id: strawberry.ID, legacy_event_names: bool
    ) -> SetWebhookLegacyEventNamesResult:
        viewer = info.context.viewer
        return await run_mutation(
            info,
            lambda conn: endpoints.set_legacy_event_names(conn, viewer, id, legacy_event_names),
            WebhookEndpoint.from_record,
        )

    @strawberry.mutation(
        description="The endpoint's own partner (a key with bookings:read) or ADMIN: its delivered and failed "
        "events after the cursor `after` (all kept ones without it; 1,000 at most per call) are sent again, "
        "with the same payload and webhook-id, in event order."
    )
    async def replay_webhook_events(
        self, info: Info, endpoint_id: strawberry.ID, after: strawberry.ID | None = None
    ) -> ReplayWebhookEventsResult:
        viewer = info.context.viewer
        return await run_mutation(
            info, lambda conn: history.replay(conn, viewer, endpoint_id, after), WebhookReplay.from_record
        )
