"""The service list: one service per hazard category, with the attributes a filing system
may send (triage/data/open311_services.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from triage.understanding.taxonomy import Category

CATALOGUE = Path(__file__).parent.parent / "data" / "open311_services.toml"


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str  # number, string, singlevaluelist (the spec's datatypes)
    description: str
    values: tuple[tuple[str, str], ...] = ()  # (key, name) for a list

    def accepts(self, value: str) -> bool:
        if self.datatype == "number":
            try:
                return 0 <= float(value) < 1e6
            except ValueError:
                return False
        if self.datatype == "singlevaluelist":
            return value in {key for key, _ in self.values}
        return len(value) <= 200


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    description: str
    group: str
    keywords: tuple[str, ...]
    attributes: tuple[Attribute, ...]

    def attribute(self, code: str) -> Attribute | None:
        return next((a for a in self.attributes if a.code == code), None)


@cache
def services() -> dict[str, Service]:
    with open(CATALOGUE, "rb") as file:
        data = tomllib.load(file)
    common = data["common"]
    shared = tuple(_attribute(a) for a in common.get("attributes", []))
    catalogue = {}
    for category in Category:  # every category is a service, in the taxonomy's order
        entry = data["services"][category.value]
        own = tuple(_attribute(a) for a in entry.get("attributes", []))
        catalogue[category.value] = Service(
            code=category.value,
            name=entry["name"],
            description=entry["description"],
            group=entry.get("group", common["group"]),
            keywords=tuple(entry.get("keywords", ())),
            attributes=shared + own,
        )
    return catalogue


def _attribute(entry: dict) -> Attribute:
    values = tuple((v["key"], v["name"]) for v in entry.get("values", ()))
    return Attribute(entry["code"], entry["datatype"], entry["description"], values)
