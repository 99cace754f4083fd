"""The process's Prometheus metrics (registry and instruments); server/metrics.py exposes them at /metrics.

Counters and histograms are this process's (with several uvicorn workers, each answers for itself: scrape
each, or run one worker per container). Gauges of shared state (outbox depth, webhook deliveries, job
failures) are read from PostgreSQL and Redis by a background task of each process (every
TURNERO_METRICS_REFRESH_SECONDS), so every process reports the same and a scrape itself runs no query.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry()
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

HTTP_REQUESTS = Counter(
    "turnero_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=REGISTRY
)
HTTP_SECONDS = Histogram(
    "turnero_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
OPERATIONS = Counter(
    "turnero_graphql_operations",
    "GraphQL operations by type and root field (fields of the schema: a bounded set)",
    ["type", "field", "outcome"],
    registry=REGISTRY,
)
OPERATION_SECONDS = Histogram(
    "turnero_graphql_operation_seconds",
    "GraphQL operation latency by root field",
    ["type", "field"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
SLOW_OPERATIONS = Counter(
    "turnero_graphql_slow_operations", "Operations over TURNERO_SLOW_QUERY_MS", ["type", "field"], registry=REGISTRY
)
AVAILABILITY_ANSWERS = Counter(
    "turnero_availability_answers",
    "Cacheable availability/earliestSlots operations: served from the cache (hit), from the same answer being "
    "computed for another caller in this process (joined), computed (miss), and of those computed, kept for the "
    "next callers (kept)",
    ["outcome"],
    registry=REGISTRY,
)
# how each shared feed's message left: written by the feed to the socket directly, or by the subscriber's task
QUEUE_MESSAGES = Counter(
    "turnero_queue_feed_messages", "Shared-feed queue messages sent, by way", ["way"], registry=REGISTRY
)
SUBSCRIBERS = Gauge("turnero_queue_subscribers", "Live queue subscribers held by this process", registry=REGISTRY)
OUTBOX = Gauge("turnero_outbox_messages", "Outbox messages by status", ["status"], registry=REGISTRY)
OUTBOX_DUE = Gauge("turnero_outbox_due", "PENDING outbox messages already due (the backlog)", registry=REGISTRY)
WEBHOOKS = Gauge("turnero_webhook_deliveries", "Webhook deliveries by status", ["status"], registry=REGISTRY)
JOB_FAILURES = Gauge(
    "turnero_job_failures", "Worker job runs that raised, since Redis was last emptied", ["job"], registry=REGISTRY
)
POOL = Gauge("turnero_db_pool_connections", "Database pool connections of this process", ["state"], registry=REGISTRY)
# rate limits (core/ratelimit.py): refusals by bucket, and operations counted in this process alone (Redis away)
RATE_LIMITED = Counter("turnero_rate_limited", "Operations refused by a rate limit", ["bucket"], registry=REGISTRY)
RATE_LOCAL = Counter(
    "turnero_rate_limits_local",
    "Operations counted without Redis (tokens uncounted, addresses per process)",
    registry=REGISTRY,
)
CANCELLED_OPERATIONS = Counter(
    "turnero_graphql_cancelled_operations",
    "HTTP GraphQL operations cancelled: over TURNERO_OPERATION_TIMEOUT_SECONDS, or their client hung up",
    ["reason"],
    registry=REGISTRY,
)

# the worker counts its failed job runs here (jobs/failures.py); every API process reads the same hash
JOB_FAILURES_KEY = "turnero:metrics:job_failures"
