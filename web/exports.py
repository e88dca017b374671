"""/export/reports.csv and /export/reports.geojson: the list's rows, with the list's filters,
one row a report with its milestone times (in the district's zone)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from aiohttp import web

from triage.console.views import Filters
from web.base import ACTOR, CONSOLE

COLUMNS = (
    "reference",
    "kind",
    "category",
    "severity",
    "status",
    "community",
    "grid",
    "assignee",
    "level",
    "reopen_count",
    "rating",
    "created_at",
    "assigned_at",
    "acknowledged_at",
    "resolved_at",
    "closed_at",
    "ack_deadline_at",
    "rectify_deadline_at",
    "latitude",
    "longitude",
    "address",
    "text",
    "source",  # resident, patrol, campaign, open311
)
HEADER = {"level": "escalation_level"}  # the row's name → the file's


def add_routes(app: web.Application) -> None:
    app.router.add_get("/export/reports.csv", as_csv)
    app.router.add_get("/export/reports.geojson", as_geojson)


async def _rows(request: web.Request) -> list[dict[str, Any]]:
    filters = Filters.parse(dict(request.query))
    return await request.app[CONSOLE].views.export(request[ACTOR], filters)


def _value(value: Any, zone) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat(timespec="seconds")
    return value


async def as_csv(request: web.Request) -> web.Response:
    """UTF-8 with a BOM, so that Excel reads the Chinese right."""
    zone = request.app[CONSOLE].timezone
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([HEADER.get(c, c) for c in COLUMNS])
    for row in await _rows(request):
        writer.writerow(["" if row[c] is None else _value(row[c], zone) for c in COLUMNS])
    return _download("\ufeff" + out.getvalue(), "text/csv", "reports.csv")


async def as_geojson(request: web.Request) -> web.Response:
    zone = request.app[CONSOLE].timezone
    features = [
        {
            "type": "Feature",
            "geometry": (
                {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]}
                if row["latitude"] is not None and row["longitude"] is not None
                else None
            ),
            "properties": {HEADER.get(c, c): _value(row[c], zone) for c in COLUMNS},
        }
        for row in await _rows(request)
    ]
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    return _download(body, "application/geo+json", "reports.geojson")


def _download(body: str, content_type: str, name: str) -> web.Response:
    response = web.Response(text=body, content_type=content_type, charset="utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
