"""The `firecircle` command: serve, demo, grids, staff, db (and classify, ask, faq later)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from firecircle.settings import Settings, SettingsError, load_settings


class CommandError(Exception):
    """A command could not do its work; the message is one line for the user."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="firecircle",
        description="Fire-hazard reporting and triage for a city district (十分钟消防便民服务圈).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("serve", help="run the Telegram bot, the HTTP server and the scheduler")

    demo = commands.add_parser("demo", help="play a scripted scenario with nothing configured")
    demo.add_argument("--once", action="store_true", help="exit when the scenario ends")
    demo.add_argument("--port", type=_port, default=8080, help="dashboard port (default 8080)")

    grids = commands.add_parser("grids", help="grid cells").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    grids_import = grids.add_parser("import", help="import grid cells from GeoJSON polygons")
    grids_import.add_argument(
        "file", type=Path, help="FeatureCollection with properties code, name, community, street"
    )

    staff = commands.add_parser("staff", help="staff members").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    add = staff.add_parser("add", help="add a staff member")
    add.add_argument("--telegram-id", type=_telegram_id, required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", choices=["worker", "coordinator", "officer", "admin"], required=True)
    add.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="CODE",
        help="a grid cell this worker works (repeat for several, in duty order)",
    )
    add.add_argument("--community")
    add.add_argument("--street")
    add.add_argument("--duty-hours", metavar="HH:MM-HH:MM", help="e.g. 08:00-20:00")
    staff.add_parser("list", help="list staff members")
    remove = staff.add_parser("remove", help="take a staff member off duty")
    remove.add_argument("--telegram-id", type=_telegram_id, required=True)

    commands.add_parser(
        "classify",
        help='label messages: JSON lines {"text": …} on stdin, one JSON result per line out',
    )

    ask = commands.add_parser(
        "ask", help="print what the bot would answer to a fire-safety question, with its score"
    )
    ask.add_argument("question", help='the question, e.g. "灭火器多久换一次？"')
    ask.add_argument(
        "--lang", choices=["zh", "en"], help="answer in this language (default: the question's)"
    )

    faq = commands.add_parser("faq", help="the fire-safety knowledge base").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    faq_import = faq.add_parser(
        "import", help="add or update entries from a JSON-lines file (e.g. triage/data/faq.jsonl)"
    )
    faq_import.add_argument("file", type=Path, help="one entry per line, matched on its id")
    faq_export = faq.add_parser("export", help="write every entry to a JSON-lines file")
    faq_export.add_argument("file", type=Path, help="the file to write (replaced if it exists)")

    _residents_parser(commands)

    db = commands.add_parser("db", help="database").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    db.add_parser("upgrade", help="bring the schema up to date (migrations)")
    return parser


def _residents_parser(commands) -> None:
    residents = commands.add_parser(
        "residents", help="residents: their personal data"
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    export = residents.add_parser(
        "export", help="print everything stored about one resident, as JSON"
    )
    export.add_argument("--telegram-id", type=_telegram_id, required=True)
    export.add_argument(
        "--out", type=Path, help="write the JSON to this file (readable by you only)"
    )
    forget = residents.add_parser(
        "forget",
        help="erase one resident's personal data (open reports are withdrawn; counts stay)",
    )
    forget.add_argument("--telegram-id", type=_telegram_id, required=True)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0–65535)")
    return int(text)


def _telegram_id(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a Telegram user id (a positive number)")
    return int(text)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = load_settings() if args.command not in ("demo", "classify") else None
        return asyncio.run(_dispatch(args, settings)) or 0
    except (SettingsError, CommandError) as exc:
        print(f"firecircle: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


async def _dispatch(args: argparse.Namespace, settings: Settings | None) -> int | None:
    from firecircle import commands  # imported late: --help stays fast

    handlers: dict[str, Callable[..., Awaitable[int | None]]] = {
        "serve": commands.serve,
        "demo": commands.demo,
        "grids": commands.grids,
        "staff": commands.staff,
        "db": commands.db,
        "classify": commands.classify,
        "ask": commands.ask,
        "faq": commands.faq,
        "residents": commands.residents,
    }
    return await handlers[args.command](args, settings)


if __name__ == "__main__":
    sys.exit(main())
