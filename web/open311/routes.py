"""Open311 GeoReport v2 under /open311/v2/: the protocol's side of triage.open311 (the same
domain operations as the chat), in JSON and XML, with the specification's error arrays."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp import web

from triage.open311.filing import CONTACT_FIELDS, Filing, RequestForm
from triage.open311.keys import ApiKeys
from triage.open311.reading import PublicRequest, Reading, Update, query_from
from triage.open311.refusals import Refused
from triage.open311.services import Service, services
from web.open311.render import respond

BASE = "/open311/v2"
FMT = "{fmt:json|xml}"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-05T00:00:00+08:00"  # when this service list last changed
TEXTS = Path(__file__).parent / "texts.toml"
ATTRIBUTE = re.compile(r"^attribute\[([^\]]{1,40})\]$")
# The updates endpoint's statuses, as FixMyStreet names them
UPDATE_STATUS = {
    "new": "OPEN",
    "assigned": "OPEN",
    "acknowledged": "IN_PROGRESS",
    "resolved": "FIXED",
    "closed": "CLOSED",
    "merged": "DUPLICATE",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@cache
def _texts() -> dict:
    with open(TEXTS, "rb") as file:
        return tomllib.load(file)


def say(language: str, key: str, **values: object) -> str:
    section, _, name = key.partition(".")
    return _texts()[language][section][name].format(**values)


class Open311Api:
    def __init__(self, keys: ApiKeys, filing: Filing, reading: Reading, timezone: ZoneInfo):
        self.keys = keys
        self.filing = filing
        self.reading = reading
        self.timezone = timezone

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get(f"{BASE}/discovery.{FMT}", self._guarded(self.discovery)),
            web.get(f"{BASE}/services.{FMT}", self._guarded(self.service_list)),
            web.get(f"{BASE}/services/{{code}}.{FMT}", self._guarded(self.definition)),
            web.get(f"{BASE}/requests.{FMT}", self._guarded(self.requests)),
            web.post(f"{BASE}/requests.{FMT}", self._guarded(self.file)),
            web.get(f"{BASE}/requests/{{id}}.{FMT}", self._guarded(self.request)),
            web.get(f"{BASE}/servicerequestupdates.{FMT}", self._guarded(self.updates)),
            web.route("*", f"{BASE}/{{rest:.*}}", self.not_found),
        ]

    def _guarded(self, handler: Handler) -> Handler:
        """A refusal becomes the specification's error array, in the asked format."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except Refused as refused:
                language = _language(request, await _fields(request))
                text = say(language, f"error.{refused.reason}", **refused.values)
                headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else None
                return respond(
                    _fmt(request),
                    "errors",
                    [{"code": refused.status, "description": text}],
                    status=refused.status,
                    headers=headers,
                )

        return guarded

    async def not_found(self, request: web.Request) -> web.Response:
        fmt = "xml" if request.path.endswith(".xml") else "json"
        text = say(_language(request), "error.not_found")
        return respond(fmt, "errors", [{"code": 404, "description": text}], status=404)

    async def discovery(self, request: web.Request) -> web.Response:
        language = _language(request)
        base = f"{request.url.origin()}{BASE}/"
        return respond(
            _fmt(request),
            "discovery",
            {
                "changeset": CHANGESET,
                "contact": say(language, "discovery.contact"),
                "key_service": say(language, "discovery.key_service"),
                "endpoints": [
                    {
                        "specification": SPECIFICATION,
                        "url": base,
                        "changeset": CHANGESET,
                        "type": "production",
                        "formats": ["application/json", "text/xml"],
                    }
                ],
            },
        )

    async def service_list(self, request: web.Request) -> web.Response:
        await self._reader(request)
        return respond(_fmt(request), "services", [_service(s) for s in services().values()])

    async def definition(self, request: web.Request) -> web.Response:
        await self._reader(request)
        code = request.match_info["code"]
        service = services().get(code)
        if service is None:
            raise Refused("unknown_service", code=code[:40])
        return respond(_fmt(request), "service_definition", _definition(service))

    async def requests(self, request: web.Request) -> web.Response:
        await self._reader(request)
        q = request.query
        query = query_from(
            ids=q.get("service_request_id", ""),
            codes=q.get("service_code", ""),
            statuses=q.get("status", ""),
            start=q.get("start_date", ""),
            end=q.get("end_date", ""),
            page=q.get("page", ""),
            page_size=q.get("page_size", ""),
        )
        found = await self.reading.requests(query)
        language = _language(request)
        return respond(
            _fmt(request), "service_requests", [self._request(r, language) for r in found]
        )

    async def request(self, request: web.Request) -> web.Response:
        await self._reader(request)
        found = await self.reading.request(request.match_info["id"].upper())
        language = _language(request)
        return respond(_fmt(request), "service_requests", [self._request(found, language)])

    async def file(self, request: web.Request) -> web.Response:
        fields = await request.post()
        if any(not isinstance(value, str) for value in fields.values()):
            raise Refused("file_given")
        client = await self.keys.admit(fields.get("api_key"))
        filed = await self.filing.file(client, _form(fields))
        notice = say(_language(request, fields), f"notice.{filed.notice}", **filed.values)
        answer = [{"service_request_id": filed.reference, "service_notice": notice}]
        return respond(_fmt(request), "service_requests", answer)

    async def updates(self, request: web.Request) -> web.Response:
        await self._reader(request)
        q = request.query
        found = await self.reading.updates(q.get("start_date", ""), q.get("end_date", ""))
        language = _language(request)
        return respond(
            _fmt(request), "service_request_updates", [self._update(u, language) for u in found]
        )

    async def _reader(self, request: web.Request) -> None:
        """Reading needs no key (the specification's GETs are open); a key given is checked
        and counted, so a client over its limit is slowed down there too."""
        key = request.query.get("api_key")
        if key is not None:
            await self.keys.admit(key)

    def _request(self, found: PublicRequest, language: str) -> dict:
        service = services()[found.code]
        return {
            "service_request_id": found.reference,
            "status": "open" if found.is_open else "closed",
            "status_notes": say(language, f"status.{found.status}"),
            "service_name": service.name,
            "service_code": found.code,
            "description": found.description,
            "agency_responsible": _agency(found, language),
            "service_notice": "",
            "requested_datetime": self._time(found.requested_at),
            "updated_datetime": self._time(found.updated_at),
            "expected_datetime": self._time(found.expected_at),
            "address": found.address or "",
            "address_id": "",
            "zipcode": "",
            "lat": found.latitude,
            "long": found.longitude,
            "media_url": found.media_url or "",
        }

    def _update(self, update: Update, language: str) -> dict:
        texts = _texts()[language]["update"]
        return {
            "update_id": str(update.id),
            "service_request_id": update.reference,
            "status": UPDATE_STATUS.get(update.status, "OPEN"),
            "updated_datetime": self._time(update.at),
            "description": texts.get(update.event) or say(language, f"status.{update.status}"),
            "media_url": "",
        }

    def _time(self, moment: datetime | None) -> str | None:
        if moment is None:
            return None
        return moment.astimezone(self.timezone).isoformat(timespec="seconds")


def _service(service: Service) -> dict:
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": service.description,
        "metadata": bool(service.attributes),
        "type": "realtime",
        "keywords": ",".join(service.keywords),
        "group": service.group,
    }


def _definition(service: Service) -> dict:
    return {
        "service_code": service.code,
        "attributes": [
            {
                "variable": True,
                "code": a.code,
                "datatype": a.datatype,
                "required": False,
                "datatype_description": "",
                "order": order,
                "description": a.description,
                "values": [{"key": key, "name": name} for key, name in a.values],
            }
            for order, a in enumerate(service.attributes, start=1)
        ],
    }


def _agency(found: PublicRequest, language: str) -> str:
    if found.grid:
        return say(language, "agency.grid", community=found.community or "", grid=found.grid)
    if found.community:
        return say(language, "agency.community", community=found.community)
    return say(language, "agency.district")


def _form(fields) -> RequestForm:
    attributes = {}
    for name, value in fields.items():
        match = ATTRIBUTE.match(name)
        if match:
            attributes[match.group(1)] = value
        elif name.startswith("attribute["):  # attribute[x][] (a list), or a malformed name
            raise Refused("bad_attribute", code=name[:40], service=fields.get("service_code", ""))
    return RequestForm(
        service_code=fields.get("service_code", ""),
        lat=fields.get("lat", ""),
        long=fields.get("long", ""),
        address_string=fields.get("address_string", ""),
        description=fields.get("description", ""),
        media_url=fields.get("media_url", ""),
        contact={name: fields.get(name, "") for name in CONTACT_FIELDS},
        attributes=attributes,
    )


async def _fields(request: web.Request):
    """The form already read (aiohttp keeps it), for the language a refusal is told in."""
    if request.method != "POST":
        return None
    try:
        return await request.post()
    except Exception:  # the body was what failed: the query's locale, else Chinese
        return None


def _fmt(request: web.Request) -> str:
    return request.match_info.get("fmt", "json")


def _language(request: web.Request, fields=None) -> str:
    locale = request.query.get("locale") or (fields or {}).get("locale") or ""
    return "en" if str(locale).lower().startswith("en") else "zh"
