"""The HTTP side other than Telegram: the dashboard and the health check."""

from __future__ import annotations

import html
from collections.abc import Sequence

from aiohttp import web

from triage.reports.overview import overview
from triage.units import SessionFactory

SESSIONS = web.AppKey("sessions", SessionFactory)


def build_web_app(
    sessions: SessionFactory, routes: Sequence[web.AbstractRouteDef] = ()
) -> web.Application:
    """The dashboard and health; the shell adds other sides' routes (the Telegram webhook)."""
    app = web.Application(client_max_size=1024**2)
    app[SESSIONS] = sessions
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/", dashboard)
    app.router.add_routes(routes)
    return app


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def dashboard(request: web.Request) -> web.Response:
    view = await overview(request.app[SESSIONS])
    counts = " · ".join(f"{html.escape(k)}: {v}" for k, v in sorted(view.by_status.items()))
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(v))}</td>"
            for v in (
                r.reference,
                r.created_at.strftime("%Y-%m-%d %H:%M"),
                r.kind,
                r.category or "",
                r.severity or "",
                r.community or "",
                r.status,
                r.text[:80],
            )
        )
        + "</tr>"
        for r in view.latest
    )
    undelivered = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(v))}</td>"
            for v in (
                m.created_at.strftime("%Y-%m-%d %H:%M"),
                m.chat_id,
                m.status,
                m.last_error or "",
            )
        )
        + "</tr>"
        for m in view.undelivered
    )
    page = _PAGE.format(
        counts=counts or "—", rows=rows, undelivered=undelivered or "<tr><td colspan=4>—</td></tr>"
    )
    return web.Response(text=page, content_type="text/html", charset="utf-8")


_PAGE = """<!doctype html><html lang="zh"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>十分钟消防便民服务圈 · 工作台</title>
<style>body{{font-family:system-ui,sans-serif;margin:1.5rem}}table{{border-collapse:collapse}}
td,th{{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left}}</style></head>
<body><h1>🧯 十分钟消防便民服务圈</h1><p>{counts}</p>
<table><tr><th>编号</th><th>时间 (UTC)</th><th>类型</th><th>类别</th><th>等级</th><th>社区</th>
<th>状态</th><th>描述</th></tr>{rows}</table>
<h2>无法送达的消息</h2><table><tr><th>时间 (UTC)</th><th>聊天</th><th>状态</th><th>原因</th></tr>
{undelivered}</table></body></html>"""
