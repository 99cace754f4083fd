"""The root Query and Mutation, assembled from each domain's fields, and the schema object."""

from __future__ import annotations

from pathlib import Path

import strawberry
from strawberry.printer import print_schema

from schema.accounts.fields import AccountsMutation, AccountsQuery
from schema.accounts.partner_limits import PartnerLimitMutation
from schema.agenda.fields import AgendaMutation, AgendaQuery
from schema.analytics.fields import AnalyticsQuery
from schema.audit.fields import AuditQuery
from schema.audit.trail import audit_every_mutation
from schema.booking.challenge import ChallengeQuery
from schema.booking.fields import BookingMutation, BookingQuery
from schema.catalogue.fields import CatalogueMutation, CatalogueQuery
from schema.draws.fields import DrawMutation, DrawQuery
from schema.extensions import extensions
from schema.feedback.fields import FeedbackMutation
from schema.inputs import check_text_inputs
from schema.outbox.fields import OutboxMutation, OutboxQuery
from schema.privacy.fields import PrivacyMutation
from schema.queue.fields import QueueMutation, QueueQuery, QueueSubscription
from schema.queue.public_waits import PublicWaitsQuery
from schema.waitlist.fields import WaitlistMutation, WaitlistQuery
from schema.webhooks.fields import WebhookMutation, WebhookQuery

SDL_PATH = Path(__file__).with_name("schema.graphql")


@strawberry.type
class Query(
    CatalogueQuery,
    AgendaQuery,
    BookingQuery,
    ChallengeQuery,
    QueueQuery,
    AccountsQuery,
    OutboxQuery,
    WebhookQuery,
    AnalyticsQuery,
    WaitlistQuery,
    DrawQuery,
    AuditQuery,
    PublicWaitsQuery,
):
    pass


@strawberry.type
class Mutation(
    CatalogueMutation,
    AgendaMutation,
    BookingMutation,
    QueueMutation,
    AccountsMutation,
    OutboxMutation,
    FeedbackMutation,
    WebhookMutation,
    PartnerLimitMutation,
    WaitlistMutation,
    DrawMutation,
    PrivacyMutation,
):
    pass


@strawberry.type
class Subscription(QueueSubscription):
    pass


audit_every_mutation(Mutation)  # the audit trail of staff, partner and device changes (schema/audit/trail.py)
check_text_inputs(Query, Mutation)  # no control characters in any text argument (schema/inputs.py)
schema = strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions())


def sdl() -> str:
    return print_schema(schema) + "\n"
