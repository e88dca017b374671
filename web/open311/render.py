"""Open311's two formats: JSON as given, XML in the specification's element names."""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from aiohttp import web

# A list's element → the name of each item in it (the specification's plurals)
ITEMS = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "keywords": "keyword",
}


def respond(fmt: str, root: str, data: Any, *, status: int = 200, headers=None) -> web.Response:
    """`root` names the XML document (services, service_requests, …); JSON is `data` itself."""
    if fmt == "xml":
        body = b'<?xml version="1.0" encoding="utf-8"?>' + tostring(_element(root, data))
        return web.Response(
            body=body, status=status, content_type="text/xml", charset="utf-8", headers=headers
        )
    return web.json_response(data, status=status, headers=headers, dumps=_dumps)


def _element(name: str, value: Any) -> Element:
    element = Element(name)
    _fill(element, value)
    return element


def _fill(element: Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _fill(SubElement(element, key), inner)
    elif isinstance(value, list):
        item = ITEMS.get(element.tag, "item")
        for inner in value:
            _fill(SubElement(element, item), inner)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)
