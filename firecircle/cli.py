"""The `firecircle` command: serve, demo, grids, staff, db, classify, ask, faq, stats, report …"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from firecircle.settings import Settings, SettingsError, load_settings, redact

log = logging.getLogger("firecircle")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class CommandError(Exception):
    """A command could not do its work; the message is one line for the user."""


def read_text(path: Path) -> str:
    """A file given to an import command, as UTF-8 (a leading BOM dropped). A file in another
    encoding (Excel's "CSV" is GBK on a Chinese Windows) is refused with a way out, not read
    as garbage."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CommandError(
            f"{path}: 第{line}行不是 UTF-8 编码，Excel 请另存为「CSV UTF-8（逗号分隔）」再导入"
            f" / is not UTF-8 text (line {line}; Excel's plain CSV is GBK): save it as "
            "“CSV UTF-8” and import again"
        ) from None


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
    grids_list = grids.add_parser("list", help="list grid cells and who works them")
    grids_list.add_argument("--json", action="store_true", help="a JSON array instead of lines")

    staff = commands.add_parser("staff", help="staff members").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    add = staff.add_parser("add", help="add a staff member")
    add.add_argument("--telegram-id", type=_telegram_id, required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", choices=ROLES, required=True)
    _staff_details(add, grid_help="a grid cell this worker works (repeat for several)")
    update = staff.add_parser(
        "update", help="change a staff member: only what is given, with the checks of add"
    )
    update.add_argument("--telegram-id", type=_telegram_id, required=True)
    update.add_argument("--name")
    update.add_argument("--role", choices=ROLES)
    _staff_details(
        update,
        grid_help="replaces their cells (repeat for several); community and street follow "
        "the first cell unless given",
    )
    staff_list = staff.add_parser("list", help="list staff members")
    staff_list.add_argument("--json", action="store_true", help="a JSON array instead of lines")
    remove = staff.add_parser("remove", help="take a staff member off duty")
    remove.add_argument("--telegram-id", type=_telegram_id, required=True)
    remove.add_argument(
        "--force",
        action="store_true",
        help="even if it leaves a patrol team (巡逻队) with no members",
    )

    classify = commands.add_parser(
        "classify",
        help='label messages: JSON lines {"text": …} on stdin, one JSON result per line out',
    )
    classify.add_argument(
        "--evaluate",
        type=Path,
        metavar="FILE",
        help="instead: measure against labelled JSON lines (text, kind, category, severity), "
        "e.g. triage/data/corpus/holdout.jsonl",
    )
    classify.add_argument(
        "--misses", action="store_true", help="with --evaluate: list every wrong label"
    )
    classify.add_argument(
        "--rules-only",
        action="store_true",
        help="the rules alone, without the kind model's view (to compare)",
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

    labels = commands.add_parser(
        "triage", help="what residents said unsure messages were"
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    export_labels = labels.add_parser(
        "export-labels", help="write the answered ones as labelled messages (JSON lines)"
    )
    export_labels.add_argument("file", type=Path, help="the file to write (replaced if it exists)")

    _residents(commands)
    _circle(commands)
    _fieldwork(commands)
    _api_keys(commands)

    web = commands.add_parser("web", help="the web console").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    link = web.add_parser(
        "link", help="print a one-time login link for a staff member (on the last line)"
    )
    link.add_argument("--telegram-id", type=_telegram_id, required=True)
    link.add_argument(
        "--minutes", type=_minutes, default=15, help="how long the link works (default 15)"
    )
    _stats(commands)
    _report(commands)
    _surveys(commands)

    db = commands.add_parser("db", help="database").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    db.add_parser("upgrade", help="bring the schema up to date (migrations)")
    return parser


ROLES = ["worker", "coordinator", "officer", "admin", "volunteer"]


def _circle(commands) -> None:
    """teams (patrol teams) and places (service points): the ten-minute circle."""
    teams = commands.add_parser("teams", help="patrol teams (巡逻队)").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    for action, text in (("add", "add a patrol team"), ("update", "change what is given")):
        parser = teams.add_parser(action, help=text)
        parser.add_argument("--name", required=True)
        parser.add_argument("--street", required=action == "add")
        parser.add_argument("--community", help="its community, if it is a community's team")
        parser.add_argument(
            "--members",
            type=_telegram_ids,
            required=action == "add",
            help="staff Telegram ids, comma-separated",
        )
        parser.add_argument("--base", help="where it sets off from: LAT,LON")
        parser.add_argument(
            "--duty-hours", help="08:00-20:00 (20:00-08:00 overnight); all day if not given"
        )
    listing = teams.add_parser("list", help="list patrol teams")
    listing.add_argument("--json", action="store_true", help="a JSON array instead of lines")
    remove = teams.add_parser("remove", help="take a team off duty; its history is kept")
    remove.add_argument("--name", required=True)

    places = commands.add_parser("places", help="fire-safety service points").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    places_import = places.add_parser("import", help="import service points (CSV or GeoJSON)")
    places_import.add_argument(
        "file", type=Path, help="name,type,address,phone,hours,lat,lon[,community] or Points"
    )
    places_list = places.add_parser("list", help="list service points")
    places_list.add_argument("--json", action="store_true", help="a JSON array instead of lines")


def _fieldwork(commands) -> None:
    """sites and campaign (firecircle.fieldwork_cli)."""
    from firecircle import fieldwork_cli

    fieldwork_cli.add_parsers(commands)


def _fieldwork_command(name: str) -> Callable[..., Awaitable[int | None]]:
    from firecircle import fieldwork_cli

    return getattr(fieldwork_cli, name)


def _telegram_ids(text: str) -> list[int]:
    return [_telegram_id(part.strip()) for part in text.split(",") if part.strip()]


def _api_keys(commands) -> None:
    keys = commands.add_parser(
        "apikey", help="keys of the systems that use Open311"
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    create = keys.add_parser("create", help="make a key; it is printed once, on the last line")
    create.add_argument("--name", required=True, help="who it is for, e.g. 12345-hotline")
    keys.add_parser("list", help="names, when made and last used (never the keys)")
    revoke = keys.add_parser("revoke", help="stop a key from working")
    revoke.add_argument("name")


def _staff_details(parser: argparse.ArgumentParser, *, grid_help: str) -> None:
    parser.add_argument("--grid", action="append", metavar="CODE", help=grid_help)
    parser.add_argument("--community", help="a community of the grid (a coordinator's)")
    parser.add_argument("--street", help="a street (a street coordinator's or officer's)")
    parser.add_argument("--duty-hours", metavar="HH:MM-HH:MM", help="e.g. 08:00-20:00")
    parser.add_argument("--language", choices=["zh", "en"], help="the bot's language for them")


def _residents(commands) -> None:
    """`firecircle residents ACTION --telegram-id ID …`: abuse and personal data, one
    subparser an action, each through _resident_action."""
    residents = commands.add_parser(
        "residents", help="residents: block abuse, export or erase their personal data"
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    block = _resident_action(
        residents, "block", "block a resident: messages kept, no tasks (emergencies still go)"
    )
    block.add_argument("--reason", help="why, kept with the block (e.g. a report's FC- number)")
    _resident_action(residents, "unblock", "lift a resident's block")
    export = _resident_action(
        residents, "export", "print everything stored about one resident, as JSON"
    )
    export.add_argument(
        "--out", type=Path, help="write the JSON to this file (readable by you only)"
    )
    _resident_action(
        residents,
        "forget",
        "erase one resident's personal data (open reports are withdrawn; counts stay)",
    )


def _stats(commands) -> None:
    stats = commands.add_parser(
        "stats", help="the figures reported upward (结案率, 按期处置率, 满意率 …) for a period"
    )
    stats.add_argument("--since", required=True, metavar="YYYY-MM-DD", help="first local day")
    stats.add_argument("--until", required=True, metavar="YYYY-MM-DD", help="last day (counted)")
    stats.add_argument("--community", metavar="NAME", help="one community's reports")
    stats.add_argument("--street", metavar="NAME", help="the reports of one street's cells")
    stats.add_argument("--grid", metavar="CODE", help="one grid cell's reports")
    stats.add_argument("--json", action="store_true", help="one JSON object instead of a table")


def _report(commands) -> None:
    report = commands.add_parser(
        "report", help="the monthly or quarterly report (Word or HTML, in Chinese) for the office"
    )
    when = report.add_mutually_exclusive_group(required=True)
    when.add_argument("--month", metavar="YYYY-MM", help="a calendar month, e.g. 2026-11")
    when.add_argument("--quarter", metavar="YYYYQn", help="a calendar quarter, e.g. 2026Q4")
    where = report.add_mutually_exclusive_group()
    where.add_argument("--community", metavar="NAME", help="one community's reports")
    where.add_argument("--street", metavar="NAME", help="the reports of one street's cells")
    report.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help="FILE.docx (Word) or FILE.html"
    )
    report.add_argument("--force", action="store_true", help="overwrite FILE if it exists")


def _surveys(commands) -> None:
    """`firecircle survey create|send|results|close`: questionnaires to residents who agreed."""
    surveys = commands.add_parser(
        "survey", help="questionnaires (征询意见, 满意度调查) to residents who agreed to be asked"
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    create = surveys.add_parser("create", help="a survey from a YAML file; its id on the last line")
    create.add_argument("file", type=Path, help="title, intro, until, questions (see README)")
    send = surveys.add_parser(
        "send", help="send it to the residents in scope who agreed and have not had it yet"
    )
    send.add_argument("id", type=_survey_id)
    scope = send.add_mutually_exclusive_group(required=True)
    scope.add_argument("--community", metavar="NAME", help="residents who reported there")
    scope.add_argument("--grid", metavar="CODE", help="residents who reported in this cell")
    scope.add_argument(
        "--reporters-since", metavar="YYYY-MM-DD", type=day, help="residents who reported since"
    )
    results = surveys.add_parser(
        "results", help="sent, answered, response rate, satisfaction, suggestions by theme"
    )
    results.add_argument("id", type=_survey_id)
    results.add_argument("--json", action="store_true", help="one JSON object instead of text")
    close = surveys.add_parser("close", help="stop taking answers")
    close.add_argument("id", type=_survey_id)


def _survey_id(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**31:
        raise argparse.ArgumentTypeError(f"{text!r} 不是问卷编号 / is not a survey id")
    return int(text)


def day(text: str):
    """A YYYY-MM-DD argument, in the years the figures and deadlines can count with."""
    from datetime import date

    from triage.figures.period import FIRST_YEAR, LAST_YEAR

    try:
        found = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} 不是日期 YYYY-MM-DD / is not a date YYYY-MM-DD"
        ) from None
    if not FIRST_YEAR <= found.year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(
            f"{text}：请给{FIRST_YEAR}到{LAST_YEAR}年之间的日期"
            f" / give a day from {FIRST_YEAR} to {LAST_YEAR}"
        )
    return found


def _resident_action(residents, name: str, help: str) -> argparse.ArgumentParser:
    action = residents.add_parser(name, help=help)
    action.add_argument("--telegram-id", type=_telegram_id, required=True)
    return action


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0–65535)")
    return int(text)


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not 0 < value <= 7 * 24 * 60:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes (up to a week)")
    return value


def _telegram_id(text: str) -> int:
    from triage.districts.staffing import MAX_TELEGRAM_ID

    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_TELEGRAM_ID:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a Telegram user id (a whole number from 1 to {MAX_TELEGRAM_ID})"
        )
    return int(text)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # A running service's log keeps the tracebacks of what went wrong inside it (masked):
    # an operator needs them, and a restart with -v would lose the moment.
    output = _Redacting(LOG_FORMAT, tracebacks=args.verbose or args.command == "serve")
    with _log_to_stderr(output, logging.INFO if args.verbose else logging.WARNING):
        return _run(args, output)


def _run(args: argparse.Namespace, output: _Redacting) -> int:
    settings = None
    try:
        settings = load_settings() if args.command not in ("demo", "classify") else None
        output.secrets = settings.secrets() if settings else None
        return asyncio.run(_dispatch(args, settings)) or 0
    except (SettingsError, CommandError) as exc:
        print(f"firecircle: {redact(str(exc), output.secrets)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `firecircle staff list | head`: the reader has had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # a bug or something unforeseen: one line, the details with -v
        if args.verbose:
            log.error("unexpected error", exc_info=True)
        hint = "" if args.verbose else " (run with -v for the traceback)"
        line = f"{type(exc).__name__}: {exc}"
        print(f"firecircle: {redact(line, output.secrets)}{hint}", file=sys.stderr)
        return 1


class _Redacting(logging.Formatter):
    """Log lines with secrets masked; an exception's traceback only when asked for (-v)."""

    def __init__(self, fmt: str, *, tracebacks: bool):
        super().__init__(fmt)
        self.tracebacks = tracebacks
        self.secrets: list[str] | None = None  # None: those of the environment

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and record.exc_info[1] is not None and not self.tracebacks:
            error = record.exc_info[1]
            record = logging.makeLogRecord(record.__dict__)
            record.msg = f"{record.getMessage()} ({type(error).__name__}: {error})"
            record.args, record.exc_info, record.exc_text = None, None, None
        return redact(super().format(record), self.secrets)


@contextmanager
def _log_to_stderr(formatter: logging.Formatter, level: int) -> Iterator[None]:
    root = logging.getLogger()
    handler, before = logging.StreamHandler(), root.level
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield
    finally:  # main() may run again in the same process (tests)
        root.removeHandler(handler)
        root.setLevel(before)


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
        "triage": commands.triage_labels,
        "residents": commands.residents,
        "teams": commands.teams,
        "places": commands.places,
        "apikey": commands.api_keys,
        "sites": _fieldwork_command("sites"),
        "campaign": _fieldwork_command("campaign"),
        "web": commands.web,
        "stats": commands.stats,
        "report": commands.report,
        "survey": commands.survey,
    }
    return await handlers[args.command](args, settings)


if __name__ == "__main__":
    # Run as `python -m firecircle.cli`, this module is __main__, not the firecircle.cli that
    # firecircle.commands imports: main must be that one's, or its CommandError is not caught.
    from firecircle import cli

    sys.exit(cli.main())
