"""/metrics in Prometheus' text format (prometheus-client), names prefixed firecircle_; open
unless FIRECIRCLE_METRICS_TOKEN is set, then only with `Authorization: Bearer <token>`. The
figures are read from the database at each scrape; the process's own counters (updates,
sends, 429s, errors) come from triage.counters."""

from __future__ import annotations

import hmac

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

from triage import counters
from web.base import CONSOLE, OPTIONS

# Seconds: the ten-minute promise sits between 300 and 600
BUCKETS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 86400)


async def endpoint(request: web.Request) -> web.Response:
    token = request.app[OPTIONS]["metrics_token"]
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return web.Response(status=401, text="metrics need a bearer token\n")
    figures = await request.app[CONSOLE].views.figures()
    registry = CollectorRegistry()
    registry.register(_Figures(figures))
    # The database's figures, then this process's own counters (triage.counters)
    response = web.Response(body=generate_latest(registry) + generate_latest(counters.REGISTRY))
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


class _Figures:
    """The figures read for this scrape, as gauges (the database holds the truth)."""

    def __init__(self, figures: dict):
        self.figures = figures

    def collect(self):
        for name, (help_text, labels, values) in self.figures.items():
            if labels == "histogram":
                yield _histogram(f"firecircle_{name}", help_text, values)
                continue
            gauge = GaugeMetricFamily(f"firecircle_{name}", help_text, labels=list(labels))
            for key, value in values.items():
                gauge.add_metric(list(key), value)
            yield gauge


def _histogram(name: str, help_text: str, samples: list[float]) -> HistogramMetricFamily:
    counts = [sum(1 for v in samples if v <= bound) for bound in BUCKETS]
    buckets = [(str(float(b)), n) for b, n in zip(BUCKETS, counts, strict=True)]
    buckets.append(("+Inf", len(samples)))
    return HistogramMetricFamily(name, help_text, buckets=buckets, sum_value=sum(samples))
