"""The console's pages: now, the report list, one report (with its actions), overdue."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from triage.console.acting import ON_THE_WEB
from triage.console.views import KINDS, STATUSES, Filters
from triage.figures import for_staff
from triage.reports.lengths import TEXT_MAX_CHARS
from triage.understanding.taxonomy import Category
from web.base import ACTOR, CONSOLE, FORM, OPTIONS, language_of, render
from web.texts import local, outcome, t

REFERENCE = r"FC-\d{1,12}"
POLL_SECONDS = 3  # how often the board's page asks whether anything changed (a few bytes)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", now)
    app.router.add_get("/reports", reports)
    app.router.add_get("/overdue", overdue)
    app.router.add_get("/map", district_map)
    app.router.add_get("/stats", statistics)
    app.router.add_get("/campaigns", campaigns)
    app.router.add_get("/campaigns/{id:\\d{1,9}}", campaign)
    app.router.add_get("/reports/{reference:" + REFERENCE + "}", report)
    app.router.add_post("/reports/{reference:" + REFERENCE + "}", act)
    app.router.add_get("/reports/{reference:" + REFERENCE + "}/photos/{index:\\d{1,3}}", photo)


async def now(request: web.Request) -> web.Response:
    """The screen a coordinator leaves open. ?stamp=1 is a short text that changes when
    anything may have (the page polls it every few seconds); ?partial=1 is the board's body
    alone, with its stamp (what the page fetches and swaps in when the stamp changed)."""
    views = request.app[CONSOLE].views
    stamp = await views.stamp()  # before the board: a change in between shows next time
    if request.query.get("stamp"):
        response = web.Response(text=stamp, content_type="text/plain")
        response.headers["Cache-Control"] = "no-store"
        return response
    board = await views.board(request[ACTOR])
    template = "board_body.html" if request.query.get("partial") else "board.html"
    return render(request, template, board=board, stamp=stamp, poll_seconds=POLL_SECONDS)


async def reports(request: web.Request) -> web.Response:
    filters = Filters.parse(dict(request.query))
    page = await request.app[CONSOLE].views.reports(request[ACTOR], filters)
    return render(
        request,
        "reports.html",
        page=page,
        statuses=STATUSES,
        kinds=KINDS,
        categories=[str(c) for c in Category],
        link=lambda **changes: "?" + urlencode(page.filters.query(**changes)),
        export_query=urlencode(page.filters.query(page=1)),
    )


async def overdue(request: web.Request) -> web.Response:
    filters = Filters(status="overdue", sort="deadline")
    page = await request.app[CONSOLE].views.reports(request[ACTOR], filters)
    return render(request, "overdue.html", page=page)


async def statistics(request: web.Request) -> web.Response:
    """The headline figures in the person's scope; ?period=1|7|30|month (else this month)."""
    choice = request.query.get("period", for_staff.DEFAULT_PERIOD)
    found = await request.app[CONSOLE].views.stats(request[ACTOR], choice)
    return render(request, "stats.html", s=found, periods=for_staff.PERIODS)


async def district_map(request: web.Request) -> web.Response:
    drawn = await request.app[CONSOLE].views.map(request[ACTOR])
    return render(request, "map.html", drawn=drawn)


async def campaigns(request: web.Request) -> web.Response:
    """The campaigns with a cell in the person's scope, with their progress there."""
    found = await request.app[CONSOLE].campaigns.listing(request[ACTOR])
    return render(request, "campaigns.html", campaigns=found)


async def campaign(request: web.Request) -> web.Response:
    """One campaign per cell (as `firecircle campaign status`), on its map."""
    shown = await request.app[CONSOLE].campaigns.campaign(
        request[ACTOR], int(request.match_info["id"])
    )
    if shown is None:
        return render(request, "message.html", status=404, say="campaign_not_found")
    return render(request, "campaign.html", c=shown)


async def photo(request: web.Request) -> web.Response:
    """One photo of a report in the person's scope, fetched through the Bot API (cached)."""
    fetch = request.app[OPTIONS]["photos"]
    file_id = await request.app[CONSOLE].views.photo(
        request[ACTOR], request.match_info["reference"], int(request.match_info["index"])
    )
    content = await fetch(file_id) if file_id is not None and fetch is not None else None
    if content is None:
        return web.Response(status=404, text="no such photo")
    response = web.Response(body=content, content_type=image_type(content))
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


def image_type(content: bytes) -> str:
    if content.startswith(b"\x89PNG"):
        return "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return "image/jpeg"


async def report(
    request: web.Request,
    said: str | None = None,
    reference: str | None = None,
    kept: dict[str, str] | None = None,
) -> web.Response:
    """The report's page; `kept`: a refused form's action and words, written back into it."""
    console = request.app[CONSOLE]
    actor, reference = request[ACTOR], reference or request.match_info["reference"]
    shown = await console.views.report(actor, reference)
    if shown is None:
        return render(request, "message.html", status=404, say="not_found")
    choices = []
    if {"assign_to", "hand_over"} & set(shown["actions"]):
        choices = await console.acting.choices(actor, reference)
    return render(
        request,
        "report.html",
        r=shown,
        choices=choices,
        on_the_web=[str(a) for a in ON_THE_WEB],
        photos=request.app[OPTIONS]["photos"] is not None,
        said=said,
        kept=kept or {},
    )


async def act(request: web.Request) -> web.Response:
    """An action from the report's page: the chat's desk step, then the page as it is now."""
    form = request[FORM]
    done = await request.app[CONSOLE].acting.act(
        request[ACTOR],
        request.match_info["reference"],
        str(form.get("action", "")),
        words=str(form.get("words", ""))[:TEXT_MAX_CHARS],
        target=str(form.get("target", ""))[:50],
        seen=str(form.get("seen", ""))[:40] or None,
    )
    if done is None:
        return render(request, "message.html", status=404, say="not_found")
    lang = language_of(request)
    mark = "✗ " if done.refused else "✓ "
    values = {"reference": request.match_info["reference"], **done.values}
    if done.key == "form_stale":
        values.update(_what_happened(request, lang, done.values))
    said = mark + outcome(lang, done, values)
    if done.key in ("duplicate_marked", "merged_meanwhile"):  # it follows the original now
        return await report(request, said=said, reference=done.values["original"])
    kept = {"action": str(form.get("action", "")), "words": str(form.get("words", ""))}
    return await report(request, said=said, kept=kept if done.refused else None)


def _what_happened(request: web.Request, lang: str, values: dict) -> dict:
    """A stale form's answer in words: when, who, what, and the state now."""
    who = values.get("who") or ""
    return {
        "at": local(values.get("at"), request.app[CONSOLE].timezone, "%H:%M"),
        "who": t(lang, who) if who in ("system", "resident", "staff") else who,
        "what": t(lang, "event." + values["event"]) if values.get("event") else "",
        "status": t(lang, "status." + values["status"]),
    }
