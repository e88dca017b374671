"""/metrics in Prometheus' text format (prometheus-client), names prefixed firecircle_; open
unless FIRECIRCLE_METRICS_TOKEN is set, then only with `Authorization: Bearer <token>`."""

from __future__ import annotations

import hmac

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from web.base import CONSOLE, OPTIONS


async def endpoint(request: web.Request) -> web.Response:
    token = request.app[OPTIONS]["metrics_token"]
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return web.Response(status=401, text="metrics need a bearer token\n")
    figures = await request.app[CONSOLE].views.figures()
    registry = CollectorRegistry()
    registry.register(_Figures(figures))
    response = web.Response(body=generate_latest(registry))
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


class _Figures:
    """The figures read for this scrape, as gauges (the database holds the truth)."""

    def __init__(self, figures: dict):
        self.figures = figures

    def collect(self):
        for name, (help_text, labels, values) in self.figures.items():
            gauge = GaugeMetricFamily(f"firecircle_{name}", help_text, labels=list(labels))
            for key, value in values.items():
                gauge.add_metric(list(key), value)
            yield gauge
