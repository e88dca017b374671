"""`firecircle sites import|list` and `firecircle campaign create|status`: field work on the
command line (parsers here, registered by firecircle.cli; the work in triage.fieldwork)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from firecircle.cli import CommandError, day, read_text
from firecircle.settings import Settings
from storage.types import utcnow


def add_parsers(commands) -> None:
    sites = commands.add_parser("sites", help="buildings and premises campaigns visit")
    actions = sites.add_subparsers(dest="action", required=True, metavar="ACTION")
    importing = actions.add_parser("import", help="import sites (CSV or GeoJSON Points)")
    importing.add_argument(
        "file", type=Path, help="name,address,type,lat,lon or name,address,type,grid"
    )
    listing = actions.add_parser("list", help="list sites")
    listing.add_argument("--json", action="store_true", help="a JSON array instead of lines")

    campaign = commands.add_parser("campaign", help="inspection campaigns with a checklist")
    actions = campaign.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create", help="start a campaign; its id is printed on the last line"
    )
    create.add_argument("--title", required=True, help='e.g. "电动车入户充电专项排查"')
    create.add_argument("--checklist", type=Path, required=True, help="the checklist (YAML)")
    create.add_argument("--grids", required=True, help="grid cell codes, comma-separated")
    create.add_argument("--site-type", help="only sites of this type (e.g. residential, 三合一)")
    create.add_argument("--until", type=day, required=True, help="the last day, YYYY-MM-DD")
    status = actions.add_parser("status", help="per grid cell: sites, visited, hazards, fixed")
    status.add_argument("id", type=_campaign_id, help="the campaign's id")
    status.add_argument("--json", action="store_true", help="one JSON object instead of a table")


def _campaign_id(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**31:
        raise argparse.ArgumentTypeError(f"{text!r} 不是排查活动编号 / is not a campaign id")
    return int(text)


async def sites(args: argparse.Namespace, settings: Settings) -> int:
    from firecircle.commands import database
    from triage.fieldwork import sites as site_book

    if args.action == "list":
        async with database(settings) as sessions:
            found = await site_book.list_sites(sessions)
        if args.json:
            print(json.dumps([e.as_dict() for e in found], ensure_ascii=False, indent=1))
        else:
            lines = [
                f"{e.grid:<10} {e.site.type:<13} {e.site.name}  {e.site.address}" for e in found
            ]
            print("\n".join(lines) or "no sites yet")
        return 0
    text = read_text(args.file)
    geojson = args.file.suffix.lower() in (".geojson", ".json")
    try:
        specs = site_book.parse_sites(text, geojson=geojson)
        async with database(settings) as sessions:
            done = await site_book.import_sites(sessions, specs)
    except site_book.SiteProblem as exc:
        raise CommandError(f"{args.file}: {exc}; nothing was imported") from None
    print(f"imported {len(specs)} sites ({done.added} new, {done.updated} updated)")
    for note in done.notes:
        print(note)
    return 0


async def campaign(args: argparse.Namespace, settings: Settings) -> int:
    from firecircle.commands import database
    from firecircle.service import policy_from
    from triage.fieldwork import campaigns, checklists

    policy = policy_from(settings)
    if args.action == "status":
        async with database(settings) as sessions:
            try:
                found = await campaigns.status(sessions, policy, args.id, utcnow())
            except campaigns.CampaignProblem as exc:
                raise CommandError(str(exc)) from None
        if args.json:
            print(json.dumps(found, ensure_ascii=False, indent=1))
        else:
            print(campaigns.status_table(found))
        return 0
    try:
        items = checklists.parse_checklist(read_text(args.checklist))
    except checklists.ChecklistProblem as exc:
        raise CommandError(f"{args.checklist}: {exc}; no campaign was created") from None
    grids = [code.strip() for code in args.grids.split(",") if code.strip()]
    async with database(settings) as sessions:
        try:
            made = await campaigns.create(
                sessions,
                policy,
                title=args.title,
                checklist=items,
                grids=grids,
                site_type=args.site_type,
                until=args.until,
                now=utcnow(),
            )
        except campaigns.CampaignProblem as exc:
            raise CommandError(f"{exc}; no campaign was created") from None
    sites = ", ".join(f"{code} {n}" for code, n in made.sites_by_grid.items())
    print(f"campaign {made.title!r}: {made.sites} sites ({sites}), until {args.until}")
    print(made.id)
    return 0
