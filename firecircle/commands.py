"""What each CLI command does; firecircle.cli parses, this runs."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from firecircle.cli import CommandError, read_text
from firecircle.settings import Settings
from storage.engine import SessionFactory, make_engine, make_session_factory
from storage.migrate import current_revision, head_revision, upgrade
from storage.types import utcnow
from triage.circle import places as place_book
from triage.circle import teams as team_book
from triage.districts import grid_import, staffing
from triage.open311.keys import ApiKeys, KeyProblem
from triage.protection import abuse

if TYPE_CHECKING:  # loaded by `ask` alone: jieba takes a second
    from triage.answers.knowledge import Answer


@asynccontextmanager
async def database(settings: Settings, *, check: bool = True) -> AsyncIterator[SessionFactory]:
    engine = make_engine(settings.database_url)
    try:
        if check:
            try:
                revision = await current_revision(engine)
            except Exception as exc:
                raise CommandError(f"cannot open the database ({exc})") from None
            if revision != head_revision():
                raise CommandError(
                    "the database schema is not up to date: run `firecircle db upgrade` first"
                )
        yield make_session_factory(engine)
    finally:
        await engine.dispose()


async def serve(args: argparse.Namespace, settings: Settings) -> int:
    from firecircle.service import Service, StartupError

    try:
        service = Service(settings)
    except StartupError as exc:
        raise CommandError(str(exc)) from None
    try:
        await service.start()
        print(
            f"firecircle is serving as @{service.app.bot.username}; "
            f"console on {service.console.public_url}/ (log in: firecircle web link "
            "--telegram-id ID); Ctrl-C stops"
        )
        await asyncio.Event().wait()
    except StartupError as exc:
        raise CommandError(str(exc)) from None
    finally:
        await service.stop()
    return 0


async def demo(args: argparse.Namespace, settings: None) -> int:
    from firecircle.demo import run_demo

    return await run_demo(once=args.once, port=args.port)


async def db(args: argparse.Namespace, settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    try:
        before = await current_revision(engine)
        await upgrade(engine)
        after = await current_revision(engine)
    except Exception as exc:
        raise CommandError(f"migration failed: {exc}") from None
    finally:
        await engine.dispose()
    print(
        f"schema {'already ' if before == after else ''}at revision {after}"
        + (f" (was {before or 'empty'})" if before != after else "")
    )
    return 0


async def grids(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "list":
        async with database(settings) as sessions:
            roster = await staffing.grid_roster(sessions)
        if args.json:
            _print_json([entry.as_dict() for entry in roster])
        else:
            print("\n".join(_cell_line(entry) for entry in roster) or "no grid cells yet")
        return 0
    text = read_text(args.file)
    try:
        specs = grid_import.parse_grid_file(text)
        async with database(settings) as sessions:
            result = await grid_import.import_cells(sessions, specs)
    except grid_import.GridFileError as exc:
        raise CommandError(f"{args.file}: {exc}; nothing was imported") from None
    print(f"imported {len(specs)} grid cells ({result.added} new, {result.updated} updated)")
    return 0


def _cell_line(entry: staffing.CellRoster) -> str:
    c = entry.cell
    workers = ", ".join(f"{w.name} ({w.telegram_id})" for w in entry.workers) or "no worker"
    return f"{c.code:<12} {c.name}  [{c.street} / {c.community}]  {workers}"


async def staff(args: argparse.Namespace, settings: Settings) -> int:
    async with database(settings) as sessions:
        try:
            if args.action == "add":
                entry = await staffing.add_staff(
                    sessions,
                    telegram_id=args.telegram_id,
                    name=args.name,
                    role=args.role,
                    grids=args.grid or [],
                    community=args.community,
                    street=args.street,
                    duty_hours=args.duty_hours,
                    language=args.language or "zh",
                )
                print(f"added {_line(entry)}")
            elif args.action == "update":
                entry = await staffing.update_staff(
                    sessions,
                    telegram_id=args.telegram_id,
                    name=args.name,
                    role=args.role,
                    grids=args.grid,
                    community=args.community,
                    street=args.street,
                    duty_hours=args.duty_hours,
                    language=args.language,
                )
                print(f"updated {_line(entry)}")
            elif args.action == "list":
                entries = await staffing.list_staff(sessions)
                if args.json:
                    _print_json([e.as_dict() for e in entries])
                else:
                    print("\n".join(_line(e) for e in entries) or "no staff yet")
            else:
                gone, emptied = await staffing.remove_staff(
                    sessions, telegram_id=args.telegram_id, force=args.force
                )
                print(f"removed {gone.name} ({gone.telegram_id}); their history is kept")
                for name in emptied:
                    print(
                        f"patrol team '{name}' has no members now (teams update --name … --members)"
                    )
        except staffing.StaffError as exc:
            raise CommandError(f"{exc}; nothing was changed") from None
    return 0


def _line(entry: staffing.StaffEntry) -> str:
    s = entry.staff
    where = ", ".join(entry.grids) or " / ".join(p for p in (s.street, s.community) if p) or "-"
    hours = f" {entry.duty_hours}" if entry.duty_hours else ""
    state = "" if s.active else " (removed)"
    return f"{s.telegram_id:>12}  {s.role:<11} {s.name}  [{where}]{hours}{state}"


async def stats(args: argparse.Namespace, settings: Settings) -> int:
    from firecircle.service import policy_from
    from triage.figures import indicators, table
    from triage.figures.period import FiguresError, Period

    place = indicators.Place(args.community, args.street, args.grid)
    try:
        period = Period.parse(args.since, args.until)
        async with database(settings) as sessions:
            found = await indicators.figures(sessions, policy_from(settings), period, place)
    except FiguresError as exc:
        raise CommandError(str(exc)) from None
    print(json.dumps(found, ensure_ascii=False, indent=2) if args.json else table.as_text(found))
    return 0


async def report(args: argparse.Namespace, settings: Settings) -> int:
    from firecircle.service import policy_from
    from triage.figures import document, indicators, monthly
    from triage.figures.period import FiguresError

    place = indicators.Place(args.community, args.street)
    try:
        when = monthly.span(args.month, args.quarter)
        document.check_target(args.out, overwrite=args.force)
        async with database(settings) as sessions:
            contents = await monthly.contents(sessions, policy_from(settings), when, place)
        document.write(contents, args.out, overwrite=args.force)
    except FiguresError as exc:
        raise CommandError(str(exc)) from None
    print(f"wrote {args.out}: {contents.title}")
    return 0


def _print_json(items: list[dict]) -> None:
    print(json.dumps(items, ensure_ascii=False, indent=2))


async def classify(args: argparse.Namespace, settings: None) -> int:
    from triage.understanding.classify import classify, classify_rules

    label = classify_rules if args.rules_only else classify

    if args.evaluate:
        return _evaluate(args.evaluate, args.misses, label)
    for line in sys.stdin:
        print(json.dumps(_classify_line(line, label), ensure_ascii=False), flush=True)
    return 0


def _evaluate(path: Path, misses: bool, label) -> int:
    from triage.understanding import evaluation

    try:
        rows = evaluation.load(path)
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:  # json.JSONDecodeError too
        raise CommandError(f"{path}: not labelled JSON lines ({exc})") from None
    if not rows:
        raise CommandError(f"{path}: no labelled messages")
    print(evaluation.evaluate(rows, label).report(str(path), misses))
    return 0


def _classify_line(line: str, label) -> dict:
    """One result per input line; a line that cannot be read gets an error in its place."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"error": f"not valid JSON: {exc.msg} (column {exc.colno})"}
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        return {"error": 'expected an object with a "text" string'}
    result = label(item["text"]).as_dict()
    return {**({"id": item["id"]} if "id" in item else {}), **result}


async def ask(args: argparse.Namespace, settings: Settings) -> int:
    from triage.answers.faq_file import SHIPPED_FAQ
    from triage.answers.knowledge import KnowledgeBase

    try:
        async with database(settings) as sessions:
            kb = await KnowledgeBase.load(sessions)
        if kb.source == "database":
            used = f"the database ({len(kb)} active entries)"
        else:
            used = (
                f"the shipped file {SHIPPED_FAQ} ({len(kb)} entries): the database has none yet; "
                "`firecircle faq import` of that file stores them"
            )
    except CommandError as exc:  # no database to read: still answer from the shipped file
        kb = KnowledgeBase.from_shipped_file()
        used = f"the shipped file {SHIPPED_FAQ} ({len(kb)} entries), because {exc}"
    answer = kb.answer(args.question, args.lang)
    print(f"knowledge base: {used}")
    for line in _ask_lines(answer):
        print(line)
    return 0


async def triage_labels(args: argparse.Namespace, settings: Settings) -> int:
    from triage.understanding.labels import answered_labels, as_json_lines

    async with database(settings) as sessions:
        labels = await answered_labels(sessions)
    try:
        args.file.write_text(as_json_lines(labels), encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write {args.file}: {exc}") from None
    print(f"exported {len(labels)} labelled messages to {args.file}")
    return 0


def _ask_lines(answer: Answer) -> list[str]:
    """The verdict first, in plain words, then the best candidates with their scores."""
    needs = f"confidence {answer.score:.2f}, needs {answer.threshold:.2f} ({answer.language})"
    if answer.entry is None:
        return ["HANDS OVER TO STAFF: no entry matches at all"]
    entry, language = answer.entry, answer.language
    if answer.confident:
        lines = [f"THE BOT ANSWERS at once with {entry.id} ({needs})"]
    elif answer.nearest:
        lines = [
            f"HANDS OVER TO STAFF, offering the nearest questions first ({needs}): "
            + ", ".join(c.entry.id for c in answer.nearest)
        ]
    else:
        lines = [f"HANDS OVER TO STAFF: no entry is close enough ({needs})"]
    lines.append("candidates (match; relevance as a share of the best's):")
    lines += [
        f"  {c.match:.2f}  {c.share:.2f}  {c.entry.id}  {c.entry.question(language)}"
        for c in answer.candidates
    ]
    lines.append(f"{'answer' if answer.confident else 'closest'}: {entry.id}")
    lines.append(f"  Q: {entry.question(language)}")
    lines.append(f"  A: {entry.answer(language)}")
    if entry.source_ref:
        lines.append(f"  source: {entry.source_ref}")
    if entry.more(language):
        lines.append("  (a longer answer is behind the “more” button)")
    if answer.confident and answer.related:
        lines.append("related:")
        lines += [f"  - {other.question(language)}  [{other.id}]" for other in answer.related]
    return lines


async def faq(args: argparse.Namespace, settings: Settings) -> int:
    from triage.answers import faq_file, faq_table

    if args.action == "import":
        text = read_text(args.file)
        try:
            entries = faq_file.parse_faq_file(text)
        except faq_file.FaqFileError as exc:
            for problem in exc.problems:
                print(f"{args.file}: {problem}", file=sys.stderr)
            raise CommandError(f"{args.file}: {exc}; nothing was imported") from None
        async with database(settings) as sessions:
            result = await faq_table.import_entries(sessions, entries)
        print(
            f"imported {len(entries)} entries ({result.added} new, {result.updated} updated, "
            f"{result.unchanged} unchanged)"
        )
        return 0
    async with database(settings) as sessions:
        entries = await faq_table.export_entries(sessions)
    try:
        args.file.write_text(faq_file.format_faq_file(entries), encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write {args.file}: {exc}") from None
    print(f"exported {len(entries)} entries to {args.file}")
    return 0


async def residents(args: argparse.Namespace, settings: Settings) -> int:
    if args.action in ("export", "forget"):
        return await _personal_data(args, settings)
    actions = {"block": _block, "unblock": _unblock}
    async with database(settings) as sessions:
        try:
            print(await actions[args.action](sessions, args))
        except abuse.AbuseError as exc:
            raise CommandError(str(exc)) from None
    return 0


async def _block(sessions: SessionFactory, args: argparse.Namespace) -> str:
    resident, done = await abuse.block(
        sessions, telegram_id=args.telegram_id, reason=args.reason, by="cli", now=utcnow()
    )
    if not done:
        return (
            f"{_who(resident)} was already blocked (since {resident.blocked_at:%Y-%m-%d %H:%M} UTC)"
        )
    return f"blocked {_who(resident)}: messages are kept, no tasks are created"


async def _unblock(sessions: SessionFactory, args: argparse.Namespace) -> str:
    resident, done = await abuse.unblock(sessions, telegram_id=args.telegram_id)
    return f"unblocked {_who(resident)}" if done else f"{_who(resident)} was not blocked"


def _who(resident) -> str:
    return f"resident {resident.telegram_id}" + (f" ({resident.name})" if resident.name else "")


async def _personal_data(args: argparse.Namespace, settings: Settings) -> int:
    from triage.protection import privacy

    async with database(settings) as sessions:
        try:
            if args.action == "export":
                data = await privacy.export_resident(sessions, args.telegram_id)
            else:
                done = await privacy.forget_resident(
                    sessions, args.telegram_id, default_language=settings.language
                )
        except privacy.UnknownResident as exc:
            raise CommandError(f"{exc}; nothing was done") from None
    if args.action == "forget":
        print(
            f"forgot resident {args.telegram_id}: {done.reports} reports anonymised "
            f"({done.withdrawn} open ones withdrawn), {done.updates} raw updates and "
            f"{done.messages} messages deleted"
        )
        return 0
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if args.out is None:
        print(text)
        return 0
    _write_private(args.out, text)
    print(f"wrote everything stored about resident {args.telegram_id} to {args.out}")
    return 0


def _write_private(path, text: str) -> None:
    """Personal data: the file is the owner's only, even when it already existed."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text + "\n")
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc}") from None


async def api_keys(args: argparse.Namespace, settings: Settings) -> int:
    async with database(settings) as sessions:
        keys = ApiKeys(sessions, per_minute=settings.open311_requests_per_minute)
        try:
            if args.action == "create":
                key = await keys.create(args.name)
                print(
                    f"the key for {args.name.strip()} (shown once: keep it, it is stored hashed):"
                )
                print(key)
            elif args.action == "list":
                entries = await keys.list()
                print("\n".join(_key_line(e, settings) for e in entries) or "no keys yet")
            else:
                await keys.revoke(args.name)
                print(f"revoked {args.name}: requests with it are refused from now on")
        except KeyProblem as exc:
            raise CommandError(f"{exc}; nothing was changed") from None
    return 0


def _key_line(entry, settings: Settings) -> str:
    zone = ZoneInfo(settings.timezone)

    def local(moment) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else "never"

    state = f"  revoked {local(entry.revoked_at)}" if entry.revoked_at else ""
    return f"{entry.name:<24} made {local(entry.created_at)}  last used {local(entry.last_used_at)}{state}"


async def teams(args: argparse.Namespace, settings: Settings) -> int:
    async with database(settings) as sessions:
        try:
            if args.action == "list":
                entries = await team_book.list_teams(sessions)
                if args.json:
                    _print_json([e.as_dict() for e in entries])
                else:
                    print("\n".join(_team_line(e) for e in entries) or "no teams yet")
            elif args.action == "remove":
                gone = await team_book.remove_team(sessions, args.name)
                print(f"removed {gone.name}; its call-outs are kept")
            else:
                change = team_book.TeamChange(
                    args.name, args.street, args.community, args.members, args.base, args.duty_hours
                )
                step = team_book.add_team if args.action == "add" else team_book.update_team
                done = "added" if args.action == "add" else "updated"
                print(f"{done} {_team_line(await step(sessions, change))}")
        except team_book.TeamProblem as exc:
            raise CommandError(f"{exc}; nothing was changed") from None
    return 0


def _team_line(entry: team_book.TeamEntry) -> str:
    t = entry.team
    where = " / ".join(p for p in (t.street, t.community) if p)
    people = ", ".join(f"{s.name} ({s.telegram_id})" for s in entry.members) or "-"
    hours = f" {entry.duty_hours}" if entry.duty_hours else ""
    state = "" if t.active else " (removed)"
    return f"{t.name}  [{where}]{hours}  {people}{state}"


async def places(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "list":
        async with database(settings) as sessions:
            found = await place_book.list_places(sessions)
        if args.json:
            _print_json([_place_dict(p) for p in found])
        else:
            print("\n".join(_place_line(p) for p in found) or "no places yet")
        return 0
    text = read_text(args.file)
    geojson = args.file.suffix.lower() in (".geojson", ".json")
    try:
        specs = place_book.parse_places(text, geojson=geojson)
        async with database(settings) as sessions:
            added, updated = await place_book.import_places(
                sessions, specs, margin_meters=settings.district_margin_meters
            )
    except place_book.PlaceProblem as exc:
        raise CommandError(f"{args.file}: {exc}; nothing was imported") from None
    print(f"imported {len(specs)} places ({added} new, {updated} updated)")
    return 0


def _place_dict(place) -> dict:
    keys = ("name", "type", "address", "phone", "hours", "latitude", "longitude", "community")
    return {k: getattr(place, k) for k in keys}


def _place_line(place) -> str:
    hours = place.hours or "24h"
    return f"{place.type:<15} {place.name}  {place.address}  {hours}  {place.phone or '-'}"


async def web(args: argparse.Namespace, settings: Settings) -> int:
    """`web link`: a one-time console login link for a staff member, printed last."""
    from triage.console.logins import LoginRefused, Logins

    async with database(settings) as sessions:
        try:
            path = await Logins(sessions).issue(args.telegram_id, args.minutes)
        except LoginRefused as exc:
            raise CommandError(str(exc)) from None
    print(f"A one-time console login for Telegram id {args.telegram_id}, {args.minutes:g} minutes:")
    print(settings.console_url.rstrip("/") + path)
    return 0


async def survey(args: argparse.Namespace, settings: Settings) -> int:
    """`survey create|send|results|close`: questionnaires (triage.surveys)."""
    from bot.survey import Wording
    from triage.surveys.desk import SurveyDesk, SurveyProblem
    from triage.surveys.forms import FormProblem, parse_form
    from triage.surveys.results import results

    if args.action == "create":
        text = read_text(args.file)
        try:
            form = parse_form(text)
        except FormProblem as exc:
            raise CommandError(f"{args.file}: {exc}; nothing was stored") from None
    async with database(settings) as sessions:
        desk = SurveyDesk(sessions, Wording(), timezone=ZoneInfo(settings.timezone))
        try:
            if args.action == "create":
                made = await desk.create(form)
                print(
                    f"created survey {made.id}: {made.title['zh']} ({len(made.questions)} questions)"
                )
                print(made.id)
            elif args.action == "send":
                sent = await desk.send(
                    args.id, community=args.community, grid=args.grid, since=args.reporters_since
                )
                print(
                    f"survey {sent.survey_id} queued for {sent.count} residents "
                    "(bulk: sent after everything else)"
                )
            elif args.action == "close":
                await desk.close(args.id)
                print(f"survey {args.id} closed: answers are no longer taken")
            else:
                found = await results(sessions, args.id)
                print(
                    json.dumps(found, ensure_ascii=False, indent=2)
                    if args.json
                    else _survey_text(found)
                )
        except SurveyProblem as exc:
            raise CommandError(f"{exc}; nothing was changed") from None
    return 0


def _survey_text(found: dict) -> str:
    from bot.texts import t

    def percent(rate) -> str:
        return "-" if rate is None else f"{rate * 100:.1f}%"

    lines = [
        f"问卷 {found['survey']}：{found['title']}（{found['status']}）",
        f"发送 {found['sent']}  作答 {found['answered']}（开始 {found['started']}）"
        f"  回收率 {percent(found['response_rate'])}  满意率 {percent(found['satisfaction_rate'])}",
    ]
    for q in found["questions"]:
        lines.append(f"{q['number']}. [{q['type']}] {q['text']}  答 {q['answers']}")
        if q["type"] == "rating":
            stars = " ".join(f"{n}★{c}" for n, c in q["counts"].items())
            mean = "-" if q["mean"] is None else f"{q['mean']:.2f}"
            lines.append(f"   平均 {mean}  4–5分 {percent(q['satisfied_rate'])}  {stars}")
        elif q["type"] == "choice":
            for c in q["counts"]:
                lines.append(f"   {c['option']}: {c['count']} ({percent(c['share'])})")
        else:
            lines.append(f"   跳过 {q['skipped']}")
    if found["themes"]:
        lines.append("建议分类：")
        for theme in found["themes"]:
            lines.append(
                f"  {t('zh', 'category.' + theme['theme'])}（{theme['theme']}）：{theme['count']}"
            )
            lines += [f"    - {example}" for example in theme["examples"]]
    return "\n".join(lines)
