"""Turning the domain's Reply into the words and keyboard the resident sees."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from bot import keyboards
from bot.texts import t
from triage.intake.reply import Reply
from triage.records import Report
from triage.reports.notices import EMERGENCY, RESIDENT
from triage.understanding.taxonomy import Kind

# Keys whose text asks the question of a step again; "resumed" picks the *_resumed wording.
_RESUMABLE = {"ask_description", "ask_location", "ask_photos"}


@dataclass(frozen=True)
class Said:
    text: str
    markup: Any = None
    priority: int = RESIDENT


# What tells a resident to call 119 goes before anything else the bot has to send.
_URGENT = {"emergency", "emergency_location_sent", "edit_emergency", "edit_not_used_emergency"}


_HIDDEN = {
    "resumed",
    "triaged",
    "report_id",
    "entry",
    "has_more",
    "related",
    "label_id",
    "nearest",
    "places",
    "within",
    "where",
}
NEARBY = ("nearby", "nearby_far", "where_nearest")
_ASK_LOCATION = ("nearby_ask", "where_ask")
_OFFER_NEARBY = ("where_nearest", "where_none")  # answers about where to go: 📍 附近服务点


def render(reply: Reply) -> Said:
    lang = reply.language
    if reply.say == "receipt":
        text = receipt(lang, reply.report, reply.values.get("place"))
        urgent = reply.report is not None and reply.report.kind == Kind.EMERGENCY
        return Said(text, keyboards.for_step(lang, None), EMERGENCY if urgent else RESIDENT)
    key = reply.say
    if key in _RESUMABLE and reply.values.get("resumed"):
        key += "_resumed"
    if key == "where_nearest" and not reply.values.get("within"):
        key = "where_nearest_far"
    values = {k: v for k, v in reply.values.items() if k not in _HIDDEN}
    if "sought" in values:  # the kind of place asked for, in their language
        values["sought"] = t(lang, f"place_type.{values['sought']}")
    if key == "welcome":
        values["name"] = reply.resident.name or ""
    if reply.report is not None:
        values.setdefault("reference", reply.report.reference)
    text = t(lang, key, **values)
    if key == "welcome" and reply.step is not None:
        text += "\n\n" + t(lang, "welcome_resume")
    if key == "emergency" and reply.values.get("original"):  # the same alarm again
        text += "\n\n" + t(lang, "limits.repeated", original=reply.values["original"])
    if reply.say in NEARBY:
        text += "\n" + "\n".join(
            _place_line(lang, n, i) for i, n in enumerate(reply.values["places"], 1)
        )
    if reply.values.get("triaged"):
        category = t(lang, f"category.{reply.values['triaged']}")
        text = t(lang, "triaged", category=category) + "\n" + text
    return Said(text, _markup(reply), EMERGENCY if reply.say in _URGENT else RESIDENT)


def _markup(reply: Reply):
    lang, report_id = reply.language, reply.values.get("report_id")
    if reply.say == "emergency":
        return keyboards.emergency(lang)
    if reply.say in _ASK_LOCATION:
        return keyboards.location_request(lang)
    if reply.say in _OFFER_NEARBY:
        return keyboards.nearby(lang)
    if reply.say in ("question_queued", "feedback_thanks"):
        return keyboards.correction(lang, report_id)
    if reply.say == "out_of_scope":
        return keyboards.correction(lang, report_id, offer_hazard=True)
    if reply.say == "did_you_mean":
        return keyboards.did_you_mean(lang, reply.values)
    if reply.say == "ask_kind":
        return keyboards.kind_question(lang, reply.values["label_id"])
    if reply.say == "correction_menu":
        return keyboards.kinds(lang, report_id)
    if reply.say == "faq_answer":
        return keyboards.faq(lang, reply.values)
    return keyboards.for_step(lang, reply.step)


def _place_line(language: str, near: dict, number: int) -> str:
    """1. 幸福社区微型消防站（微型消防站）约320米 · 营业中 08:00-20:00 · ☎ 027-…"""
    kind = t(language, f"place_type.{near['type']}")
    hours = near["hours"] or t(language, "team.place_always")
    state = t(language, "team.place_open" if near["open_now"] else "team.place_closed")
    phone = f" · ☎ {near['phone']}" if near["phone"] else ""
    return t(
        language,
        "nearby_line",
        n=number,
        name=near["name"],
        kind=kind,
        meters=near["walk_meters"],
        state=state,
        hours=hours,
        phone=phone,
        address=near["address"],
    )


def venues(reply: Reply) -> list[dict[str, Any]]:
    """A map pin (sendLocation) for each point a /nearby answer lists, in the list's order."""
    if reply.say not in NEARBY:
        return []
    return [
        {"latitude": n["latitude"], "longitude": n["longitude"]} for n in reply.values["places"]
    ]


def receipt(language: str, report: Report | None, place: str | None = None) -> str:
    assert report is not None
    text = t(
        language,
        "receipt",
        reference=report.reference,
        category=t(language, f"category.{report.category or 'other'}"),
        severity=t(language, f"severity.{report.severity or 'normal'}"),
        place=place or place_of(language, report),
    )
    if report.kind == Kind.EMERGENCY:
        text = t(language, "receipt_emergency") + "\n\n" + text
    return text


def place_of(language: str, report: Report) -> str:
    parts = [p for p in (report.community, report.address) if p]
    if not parts and report.latitude is not None:
        parts.append(f"📍 {report.latitude:.5f}, {report.longitude:.5f}")
    return " · ".join(parts) or t(language, "place_unknown")


def report_list(language: str, reports: Sequence[Report], timezone: tzinfo) -> str:
    lines = [t(language, "my_reports")]
    for report in reports:
        lines.append(
            t(
                language,
                "my_report_line",
                reference=report.reference,
                category=_what(language, report),
                status=t(language, f"status.{report.status}"),
                date=report.created_at.astimezone(timezone).strftime("%m-%d %H:%M"),
            )
        )
    return "\n".join(lines)


def _what(language: str, report: Report) -> str:
    """A hazard by its category; anything else by its kind (咨询, 意见建议 …)."""
    if report.kind == "hazard" and report.category:
        return t(language, f"category.{report.category}")
    return t(language, f"kind.{report.kind}")
