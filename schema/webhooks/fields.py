"""ADMIN: partners' webhook endpoints and their delivery log."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.outbox.admin import MAX_LIMIT
from resolvers.webhooks import deliveries, endpoints
from schema.bounds import MAX_WEBHOOK_ENDPOINTS, ListBound
from schema.context import Info
from schema.errors import InvalidState, NotAllowed, NotFound, ValidationError
from schema.input_types import InputOf
from schema.operation import run_mutation, run_query
from schema.webhooks.types import WebhookDelivery, WebhookEndpoint, WebhookEndpointRegistration

WebhookEndpointResult = Annotated[
    WebhookEndpointRegistration | ValidationError | NotFound | NotAllowed, strawberry.union("WebhookEndpointResult")
]
RotateWebhookSecretResult = Annotated[
    WebhookEndpointRegistration | NotFound | NotAllowed | InvalidState, strawberry.union("RotateWebhookSecretResult")
]
DeactivateWebhookEndpointResult = Annotated[
    WebhookEndpoint | NotFound | NotAllowed, strawberry.union("DeactivateWebhookEndpointResult")
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
