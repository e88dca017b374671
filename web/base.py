"""What every page of the console shares: the application's keys, the cookies, the
templates and how a page is drawn (in the viewer's language and the district's time)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from triage.actors import Actor
from triage.console.desk import Console
from triage.console.logins import csrf_token
from web.texts import LANGUAGES, local, t

CONSOLE = web.AppKey("console", Console)
OPTIONS = web.AppKey("options", dict)
ACTOR = web.RequestKey("actor", Actor)
SESSION = web.RequestKey("session", str)  # the session cookie's secret
FORM = web.RequestKey("form", object)  # a POST's form, read once by the session's check
COOKIE = "fc_session"
LANG_COOKIE = "fc_lang"
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def language_of(request: web.Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    actor: Actor | None = request.get(ACTOR)
    return actor.language if actor is not None and actor.language in LANGUAGES else "zh"


def render(request: web.Request, template: str, *, status: int = 200, **context: Any):
    lang = language_of(request)
    zone = request.app[CONSOLE].timezone
    cookie = request.get(SESSION)
    page = TEMPLATES.get_template(template).render(
        t=partial(t, lang),
        lang=lang,
        local=partial(local, zone=zone),
        actor=request.get(ACTOR),
        csrf=csrf_token(cookie) if cookie else "",
        path=request.path,
        **context,
    )
    response = web.Response(text=page, status=status, content_type="text/html", charset="utf-8")
    response.headers["Cache-Control"] = "no-store"  # personal data: never kept by a proxy
    response.headers["X-Frame-Options"] = "DENY"
    return response


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})
