"""The HTTP side other than Telegram: the coordinators' console behind a one-time login, its
exports, the health check and the metrics. Every page but /healthz, /metrics and /login/… needs
a session; the domain (triage.console) decides what each person sees and may do."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from triage.console.desk import Console
from triage.console.logins import LINK_PATH, csrf_token
from web import exports, metrics, pages
from web.base import ACTOR, CONSOLE, COOKIE, FORM, LANG_COOKIE, OPTIONS, SESSION, render, see_other
from web.texts import LANGUAGES

OPEN_PATHS = ("/healthz", "/metrics")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_web_app(
    console: Console,
    routes: Sequence[web.AbstractRouteDef] = (),
    *,
    metrics_token: str | None = None,
    secure_cookies: bool = False,
    photos: Callable[[str], Awaitable[bytes | None]] | None = None,
) -> web.Application:
    """The console and health; the shell adds other sides' routes (the Telegram webhook),
    which stay open: they carry their own secret. `photos`: a photo's bytes by its Telegram
    file id (the chat side's cache); without it the pages show none."""
    app = web.Application(client_max_size=1024**2, middlewares=[_session])
    app[CONSOLE] = console
    app[OPTIONS] = {
        "metrics_token": metrics_token,
        "secure": secure_cookies,
        "photos": photos,
        "open": set(OPEN_PATHS),
    }
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics.endpoint)
    app.router.add_get(LINK_PATH + "{token}", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/lang/{language}", language)
    pages.add_routes(app)
    exports.add_routes(app)
    # Other sides' routes carry their own secret (webhook) or key (Open311): no session.
    app[OPTIONS]["open_routes"] = set(app.router.add_routes(routes))
    return app


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@web.middleware
async def _session(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Who is asking: a page without a session is the login page (401) and shows nothing
    else; a form without the session's CSRF token is refused (403)."""
    options = request.app[OPTIONS]
    if (
        request.path in options["open"]
        or request.path.startswith(LINK_PATH)
        or request.match_info.route in options["open_routes"]
    ):
        return await handler(request)
    cookie = request.cookies.get(COOKIE)
    actor = await request.app[CONSOLE].logins.actor(cookie)
    if actor is None:
        return render(request, "login.html", status=401)
    request[ACTOR], request[SESSION] = actor, cookie
    if request.method == "POST":
        form = await request.post()
        request[FORM] = form
        given = str(form.get("csrf", ""))
        if not hmac.compare_digest(given, csrf_token(cookie)):
            return render(request, "message.html", status=403, say="forbidden")
    return await handler(request)


async def login(request: web.Request) -> web.StreamResponse:
    """The one-time link: a session cookie and on to /, or the refusal (used or expired)."""
    cookie = await request.app[CONSOLE].logins.redeem(request.match_info["token"])
    if cookie is None:
        return render(request, "login.html", status=403, refused=True)
    response = see_other("/")
    response.set_cookie(
        COOKIE,
        cookie,
        httponly=True,
        samesite="Lax",
        secure=request.app[OPTIONS]["secure"],
        path="/",
        max_age=12 * 3600,
    )
    response.headers["Referrer-Policy"] = "no-referrer"  # the link is spent, but say nothing
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    await request.app[CONSOLE].logins.end(request[SESSION])
    response = see_other("/")
    response.del_cookie(COOKIE, path="/")
    return response


async def language(request: web.Request) -> web.StreamResponse:
    chosen = request.match_info["language"]
    response = see_other(_back(request))
    if chosen in LANGUAGES:
        response.set_cookie(LANG_COOKIE, chosen, samesite="Lax", path="/", max_age=365 * 86400)
    return response


def _back(request: web.Request) -> str:
    """Where to return after switching language: the page the person was on (same site)."""
    referer = request.headers.get("Referer", "")
    host = request.headers.get("Host", "")
    after = referer.split(host, 1)[1] if host and host in referer else "/"
    return after if after.startswith("/") and not after.startswith("//") else "/"
