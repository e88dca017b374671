"""Reading the files the import commands take (`grids import`, `places import`, `sites import`):
a GeoJSON FeatureCollection feature by feature, or a CSV table row by row. The caller names
its own error class, so a bad file reads as that command's problem; the messages are the same
for every command. (The file's encoding — UTF-8, a GBK file refused — is checked where it is
read, firecircle/cli.py `read_text`.)"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

BOM = "\ufeff"


@dataclass(frozen=True)
class Feature:
    where: str  # "feature 2"
    geometry: Any  # as the file has it: a dict when the file is sound; {} when there is none
    properties: dict[str, Any]


def features(text: str, problem: type[Exception]) -> list[Feature]:
    """The features of a GeoJSON FeatureCollection; raises `problem` for a file that is not
    one, and for a feature that is not an object or whose properties are not."""
    try:
        data = json.loads(text.lstrip(BOM))
    except json.JSONDecodeError as exc:
        raise problem(f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if (
        not isinstance(data, dict)
        or data.get("type", "FeatureCollection") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        raise problem("not a GeoJSON FeatureCollection")
    read = []
    for number, feature in enumerate(data["features"], start=1):
        where = f"feature {number}"
        if not isinstance(feature, dict):
            raise problem(f"{where}: not a GeoJSON Feature")
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            raise problem(f"{where}: properties are not an object")
        read.append(Feature(where, feature.get("geometry") or {}, properties))
    return read


def point(geometry: Any) -> tuple[Any, Any] | None:
    """A Point's (longitude, latitude) as the file has them; None for any other geometry."""
    if (
        isinstance(geometry, dict)
        and geometry.get("type") == "Point"
        and isinstance(geometry.get("coordinates"), list)
        and len(geometry["coordinates"]) == 2
    ):
        lon, lat = geometry["coordinates"]
        return lon, lat
    return None


def csv_table(text: str) -> tuple[list[str], Iterator[tuple[str, dict[str, str]]]]:
    """A CSV file's header (names stripped) and its rows as ("line N", {name: value}); the
    caller checks the header before it reads the rows."""
    reader = csv.DictReader(io.StringIO(text.lstrip(BOM)))
    header = [name.strip() for name in reader.fieldnames or []]

    def rows():
        for number, row in enumerate(reader, start=2):  # the header is line 1
            yield f"line {number}", {k.strip(): v for k, v in row.items() if k}

    return header, rows()
