"""The process's own counters for /metrics (prometheus-client), names prefixed firecircle_:
what this instance did since it started, as opposed to the figures read from the database at
each scrape (web/metrics.py). The chat side (bot/inbox, bot/errors, bot/sender) feeds them;
they live here so that bot/ and web/ share them without knowing each other."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)
# Seconds per Bot API call: Telegram answers in tens to hundreds of milliseconds
SEND_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

updates_received = Counter(
    "firecircle_updates_received",
    "Updates taken in (webhook or polling) and stored in the inbox",
    registry=REGISTRY,
)
updates_handled = Counter(
    "firecircle_updates_handled",
    "Updates handled, by result (handled, unhandled: an exception escaped the handlers)",
    ["result"],
    registry=REGISTRY,
)
errors = Counter(
    "firecircle_errors",
    "Errors, by where (handler: a handler raised; update: an update could not be handled; "
    "send: a Bot API call failed other than by a 429)",
    ["where"],
    registry=REGISTRY,
)
telegram_429 = Counter(
    "firecircle_telegram_429",
    "Bot API calls refused with 429 Too Many Requests (flood control)",
    registry=REGISTRY,
)
sends = Counter(
    "firecircle_sends",
    "Bot API calls from the outbox, by result (sent, retry, undeliverable, failed)",
    ["result"],
    registry=REGISTRY,
)
send_latency = Histogram(
    "firecircle_send_latency_seconds",
    "Seconds a Bot API call from the outbox took, whatever its answer",
    buckets=SEND_BUCKETS,
    registry=REGISTRY,
)
outbox_held = Gauge(
    "firecircle_outbox_held",
    "Outbox rows this instance holds in memory waiting for their turn (the database's "
    'pending rows are firecircle_outbox_messages{status="pending"})',
    registry=REGISTRY,
)

for result in ("handled", "unhandled"):  # every series present from the start, at 0
    updates_handled.labels(result)
for where in ("handler", "update", "send"):
    errors.labels(where)
for result in ("sent", "retry", "undeliverable", "failed"):
    sends.labels(result)
