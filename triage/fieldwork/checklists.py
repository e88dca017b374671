"""A campaign's checklist, from a YAML file: a list of items (or `items:` holding one), each

    - question: 是否有电动车在楼道或室内充电？
      question_en: Are e-bikes charged in the hallway or indoors?   # optional
      type: yesno            # yesno (yes/no), number, photo, text
      required: true         # default true
      hazard:                # which answer is a hazard (yesno and number only)
        when: yes            # yesno: yes or no; number: below: N and/or above: N
        category: ebike      # a triage category
        severity: high       # urgent, high, normal (default normal)

A file is checked whole; an item that is not right stops it, naming the item."""

from __future__ import annotations

from typing import Any

import yaml

from triage.understanding.taxonomy import Category, Severity

TYPES = {
    "yesno": "yesno",
    "yes/no": "yesno",
    "yes_no": "yesno",
    "是否": "yesno",
    "number": "number",
    "数字": "number",
    "photo": "photo",
    "照片": "photo",
    "text": "text",
    "文字": "text",
}
KINDS = ("yesno", "number", "photo", "text")
MAX_ITEMS = 50
MAX_QUESTION = 300
YES = ("yes", "y", "是", "有", "true")
NO = ("no", "n", "否", "无", "没有", "false")


class ChecklistProblem(ValueError):
    """A checklist that cannot be used; the message names the item and what is wrong."""


def parse_checklist(text: str) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}" if where is not None else ""
        raise ChecklistProblem(f"not YAML{at}: {getattr(exc, 'problem', exc)}") from None
    if isinstance(data, dict) and "items" in data:
        data = data["items"]
    if not isinstance(data, list) or not data:
        raise ChecklistProblem("a checklist is a list of items (each with question and type)")
    if len(data) > MAX_ITEMS:
        raise ChecklistProblem(f"at most {MAX_ITEMS} items")
    items = [_item(number, raw) for number, raw in enumerate(data, start=1)]
    if not any(item["hazard"] for item in items):
        raise ChecklistProblem("no item says which answer is a hazard (hazard: …)")
    return items


def _item(number: int, raw: Any) -> dict[str, Any]:
    where = f"item {number}"
    if not isinstance(raw, dict):
        raise ChecklistProblem(f"{where}: an item is a mapping with question and type")
    unknown = set(raw) - {"question", "question_en", "type", "required", "hazard"}
    if unknown:
        raise ChecklistProblem(f"{where}: unknown key {sorted(map(str, unknown))[0]!r}")
    question = str(raw.get("question") or "").strip()
    if not question:
        raise ChecklistProblem(f"{where}: the question is missing")
    if len(question) > MAX_QUESTION:
        raise ChecklistProblem(f"{where}: the question is longer than {MAX_QUESTION} characters")
    given = str(raw.get("type") or "").strip()
    kind = TYPES.get(given.casefold())
    if kind is None:
        raise ChecklistProblem(
            f"{where} ({question[:20]}): type {given!r} is not one of {', '.join(KINDS)}"
            if given
            else f"{where} ({question[:20]}): the type is missing ({', '.join(KINDS)})"
        )
    required = raw.get("required", True)
    if not isinstance(required, bool):
        raise ChecklistProblem(f"{where}: required is true or false")
    return {
        "question": question,
        "question_en": str(raw.get("question_en") or "").strip() or None,
        "type": kind,
        "required": required,
        "hazard": _hazard(where, kind, raw.get("hazard")),
    }


def _hazard(where: str, kind: str, raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    if kind in ("photo", "text"):
        raise ChecklistProblem(f"{where}: a {kind} answer cannot be a hazard (only yesno, number)")
    if not isinstance(raw, dict):
        raise ChecklistProblem(f"{where}: hazard is a mapping (when or below/above, category)")
    category = str(raw.get("category") or "").strip()
    if category not in set(Category):
        raise ChecklistProblem(
            f"{where}: hazard category {category!r} is not one of {', '.join(Category)}"
        )
    severity = str(raw.get("severity") or "normal").strip()
    if severity not in set(Severity):
        raise ChecklistProblem(
            f"{where}: hazard severity {severity!r} is not one of {', '.join(Severity)}"
        )
    rule: dict[str, Any] = {"category": category, "severity": severity}
    if kind == "yesno":
        when = _yes_no(raw.get("when"))
        if when is None:
            raise ChecklistProblem(f"{where}: a yesno hazard says when: yes or when: no")
        rule["when"] = when
        return rule
    for bound in ("below", "above"):
        if bound in raw:
            value = raw[bound]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ChecklistProblem(f"{where}: hazard {bound} is a number")
            rule[bound] = float(value)
    if "below" not in rule and "above" not in rule:
        raise ChecklistProblem(f"{where}: a number hazard says below: N or above: N")
    return rule


def _yes_no(value: Any) -> str | None:
    """YAML reads a bare yes as true: both are yes."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value or "").strip().casefold()
    return "yes" if text in YES else "no" if text in NO else None


def typed_yes_no(text: str) -> str | None:
    """是 / 否 typed instead of tapped."""
    return _yes_no(text) if text.strip() else None


def fails(item: dict[str, Any], answer: Any) -> bool:
    """Whether this answer is the item's hazard."""
    rule = item.get("hazard")
    if rule is None or answer is None:
        return False
    if item["type"] == "yesno":
        return answer == rule["when"]
    below, above = rule.get("below"), rule.get("above")
    return (below is not None and answer < below) or (above is not None and answer > above)


def question_of(item: dict[str, Any], language: str) -> str:
    return (item.get("question_en") if language == "en" else None) or item["question"]
