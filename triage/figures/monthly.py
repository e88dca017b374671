"""What the monthly (or quarterly) report says, in the shape of the reports street offices send
upward: 总体情况, 分类统计, 网格排名, 时效, 整改与回访, 典型案例, 存在问题. Every number comes
from `indicators.figures` (the one source); this module only picks, words and orders them.
document.py writes it as Word or HTML, chart.py draws its chart."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from storage import figures as rows
from storage.engine import SessionFactory, transaction
from triage.escalation.policy import Policy
from triage.figures import indicators
from triage.figures.period import FIRST_YEAR, LAST_YEAR, FiguresError, Period
from triage.figures.table import KINDS, category_name, change, shown

QUARTER_NAMES = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}


@dataclass(frozen=True)
class Span:
    """A calendar month or quarter, its name, and the one before it (环比)."""

    period: Period
    before: Period
    title: str  # 2026年11月, 2026年第四季度
    unit: str  # 月, 季度


def span(month: str | None, quarter: str | None) -> Span:
    """`--month YYYY-MM` or `--quarter YYYYQn`, exactly one of them."""
    if (month is None) == (quarter is None):
        raise FiguresError("give either --month YYYY-MM or --quarter YYYYQn (one of them)")
    if month is not None:
        found = re.fullmatch(r"(\d{4})-(\d{2})", month)
        if not found or not 1 <= int(found[2]) <= 12 or not _year_ok(found[1]):
            raise FiguresError(f"--month {month!r} is not a month (YYYY-MM, e.g. 2026-11)")
        year, first = int(found[1]), int(found[2])
        period = _months(year, first, 1)
        before = _months(*_back(year, first, 1), 1)
        return Span(period, before, f"{year}年{first}月", "月")
    found = re.fullmatch(r"(\d{4})[Qq]([1-4])", quarter or "")
    if not found or not _year_ok(found[1]):
        raise FiguresError(f"--quarter {quarter!r} is not a quarter (YYYYQn, e.g. 2026Q4)")
    year, number = int(found[1]), int(found[2])
    first = 3 * number - 2
    return Span(
        _months(year, first, 3),
        _months(*_back(year, first, 3), 3),
        f"{year}年{QUARTER_NAMES[number]}",
        "季度",
    )


def _year_ok(year: str) -> bool:
    """A year whose period and the one before it are dates (0000-01 or 9999-12 are not)."""
    return FIRST_YEAR <= int(year) <= LAST_YEAR


def _back(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 - months
    return index // 12, index % 12 + 1


def _months(year: int, month: int, months: int) -> Period:
    end_year, end_month = _back(year, month, -months)
    return Period(date(year, month, 1), date(end_year, end_month, 1) - timedelta(days=1))


@dataclass
class Table:
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    table: Table | None = None
    chart: dict[str, int] | None = None  # category name → count, drawn as bars


@dataclass
class Contents:
    title: str
    subtitle: str
    sections: list[Section]
    figures: dict[str, Any]


async def contents(
    sessions: SessionFactory,
    policy: Policy,
    when: Span,
    place: indicators.Place | None = None,
) -> Contents:
    place = place or indicators.Place()
    found = await indicators.figures(sessions, policy, when.period, place, before=when.before)
    cases = await typical_cases(sessions, policy, when.period, place)
    where = place.community or place.street or "全辖区"
    period = found["period"]
    return Contents(
        title=f"{where}{when.title}消防安全隐患处置情况报告",
        subtitle=(
            f"统计时段：{period['since']} 至 {period['until']}"
            f"（环比：上{when.unit} {found['previous']['period']['since']} 至 "
            f"{found['previous']['period']['until']}）"
        ),
        sections=[
            _overall(found, when),
            _by_category(found, when),
            _ranking(found),
            _timeliness(found, policy, when),
            _rectification(found, when),
            _cases(cases),
            _problems(found, when),
        ],
        figures=found,
    )


async def typical_cases(
    sessions: SessionFactory, policy: Policy, period: Period, place: indicators.Place
) -> dict[str, dict | None]:
    """The oldest report still overdue at the end of the period, and the one received in it
    escalated highest."""
    start, end = period.bounds(policy.timezone)
    async with transaction(sessions) as session:
        scope = await indicators.scope_of(session, place)
        overdue = await rows.oldest_overdue(session, end, scope, indicators.HANDLED)
        escalated = await rows.most_escalated(session, start, end, scope, indicators.HANDLED)
    for case in (overdue, escalated):
        if case is not None:
            case["end"], case["zone"] = end, policy.timezone
    return {"oldest_overdue": overdue, "most_escalated": escalated}


def _overall(f: dict, when: Span) -> Section:
    p = f["previous"]
    text = (
        f"本{when.unit}共受理消防隐患与紧急警情 {f['received']} 件（上{when.unit} "
        f"{p['received']} 件，环比 {change(f['received'], p['received'], 'n')}），"
        f"其中紧急警情 {f['emergencies']} 件；派单 {f['assigned']} 件，处置 {f['resolved']} 件，"
        f"结案 {f['closed']} 件，结案率 {shown(f['closed_rate'], '%')}；"
        f"按时响应率 {shown(f['ack_in_time_rate'], '%')}，按期处置率 "
        f"{shown(f['rectified_on_time_rate'], '%')}，满意率 {shown(f['satisfaction_rate'], '%')}。"
        f"另受理咨询 {f['questions']} 件，即时解答率 "
        f"{shown(f['questions_answered_at_once_rate'], '%')}。"
    )
    keys = (
        ("received", "受理（件）", "n"),
        ("emergencies", "其中紧急警情（件）", "n"),
        ("resolved", "处置（件）", "n"),
        ("closed", "结案（件）", "n"),
        ("closed_rate", "结案率", "%"),
        ("ack_in_time_rate", "按时响应率", "%"),
        ("rectified_on_time_rate", "按期处置率", "%"),
        ("reopen_rate", "返工率", "%"),
        ("satisfaction_rate", "满意率", "%"),
        ("questions", "咨询（件）", "n"),
    )
    table = _compared(f, when, keys)
    return Section("一、总体情况", [text], table)


def _compared(f: dict, when: Span, keys) -> Table:
    """This period against the one before, a row a (key, name, how shown) of `keys`."""
    p = f["previous"]
    return Table(
        ("指标", f"本{when.unit}", f"上{when.unit}", "环比"),
        [(n, shown(f[k], h), shown(p[k], h), change(f[k], p[k], h)) for k, n, h in keys],
    )


def _by_category(f: dict, when: Span) -> Section:
    p = f["previous"]
    counts = {category_name(k): n for k, n in f["by_category"].items()}
    table = Table(
        ("隐患类别", f"本{when.unit}（件）", f"上{when.unit}（件）", "占比"),
        [
            (
                category_name(key),
                str(n),
                str(p["by_category"].get(key, 0)),
                shown(n / f["received"], "%") if f["received"] else "—",
            )
            for key, n in f["by_category"].items()
        ],
    )
    if f["by_category"]:
        top = next(iter(f["by_category"]))
        text = f"隐患类别中以“{category_name(top)}”最多，共 {f['by_category'][top]} 件。"
    else:
        text = f"本{when.unit}未受理隐患。"
    kinds = "，".join(f"{name} {f['by_kind'][kind]} 件" for kind, name in KINDS.items())
    return Section(
        "二、分类统计",
        [text, f"按类型：{kinds}。"],
        table,
        chart=counts or None,
    )


def _ranking(f: dict) -> Section:
    grids = f["by_grid"]
    scored = [g for g in grids if g["score"] is not None]
    table = Table(
        ("排名", "网格", "综合得分", "受理", "按时响应率", "按期处置率", "满意率", "结案率"),
        [
            (
                str(g["rank"] or "—"),
                f"{g['name']}（{g['grid']}）",
                f"{g['score']:.1f}" if g["score"] is not None else "—",
                str(g["received"]),
                shown(g["ack_in_time_rate"], "%"),
                shown(g["rectified_on_time_rate"], "%"),
                shown(g["satisfaction_rate"], "%"),
                shown(g["closed_rate"], "%"),
            )
            for g in grids
        ],
    )
    if not scored:
        text = [f"本期各网格（共 {len(grids)} 个）均无可评价的隐患，不作排名。"]
    else:

        def named(units: list[dict]) -> str:
            return "、".join(f"{g['name']}（{g['score']:.1f} 分）" for g in units)

        text = [f"参与排名网格 {len(scored)} 个（共 {len(grids)} 个），按综合得分排序。"]
        text.append(f"排名前三：{named(scored[:3])}。")
        if len(scored) > 3:
            text.append(f"排名后三（由低到高）：{named(scored[-3:][::-1])}。")
    return Section("三、网格排名", text, table)


def _timeliness(f: dict, policy: Policy, when: Span) -> Section:
    p = f["previous"]
    minutes = round(policy.ack.total_seconds() / 60)
    levels = "，".join(f"升至第 {lvl} 级 {n} 次" for lvl, n in f["escalations"].items())
    total, before = sum(f["escalations"].values()), sum(p["escalations"].values())
    text = (
        f"{minutes}分钟响应率（按时响应率）{shown(f['ack_in_time_rate'], '%')}"
        f"（环比 {change(f['ack_in_time_rate'], p['ack_in_time_rate'], '%')}）；"
        f"响应时间中位数 {shown(f['ack_minutes_median'], 'min')}，P90 "
        f"{shown(f['ack_minutes_p90'], 'min')}；处置时间中位数 "
        f"{_hours(f['resolve_minutes_median'])}，P90 {_hours(f['resolve_minutes_p90'])}。"
        f"超时未响应逐级升级共 {total} 次（上{when.unit} {before} 次）：{levels or '无'}。"
    )
    keys = (
        ("ack_in_time_rate", "按时响应率", "%"),
        ("ack_minutes_median", "响应时间中位数", "min"),
        ("ack_minutes_p90", "响应时间 P90", "min"),
        ("resolve_minutes_median", "处置时间中位数", "min"),
        ("resolve_minutes_p90", "处置时间 P90", "min"),
    )
    rows_ = [(n, shown(f[k], h), shown(p[k], h), change(f[k], p[k], h)) for k, n, h in keys]
    for level, n in f["escalations"].items():
        then = p["escalations"].get(level, 0)
        rows_.append((f"升至第 {level} 级（次）", str(n), str(then), f"{n - then:+d}"))
    header = ("指标", f"本{when.unit}", f"上{when.unit}", "环比")
    return Section("四、时效", [text], Table(header, rows_))


def _rectification(f: dict, when: Span) -> Section:
    text = (
        f"处置 {f['resolved']} 件，按期处置率 {shown(f['rectified_on_time_rate'], '%')}，"
        f"返工率 {shown(f['reopen_rate'], '%')}；回访率 {shown(f['return_visit_rate'], '%')}，"
        f"收到评价 {f['ratings']} 条，满意率 {shown(f['satisfaction_rate'], '%')}，"
        f"平均评分 {shown(f['rating_mean'], 'x')} 星。"
    )
    keys = (
        ("rectified_on_time_rate", "按期处置率", "%"),
        ("reopen_rate", "返工率", "%"),
        ("return_visit_rate", "回访率", "%"),
        ("satisfaction_rate", "满意率", "%"),
        ("rating_mean", "平均评分（星）", "x"),
    )
    table = _compared(f, when, keys)
    return Section("五、整改与回访", [text], table)


def _cases(cases: dict[str, dict | None]) -> Section:
    text = []
    overdue, escalated = cases["oldest_overdue"], cases["most_escalated"]
    if overdue is None:
        text.append("超期未整改：本期末无超期未整改的隐患。")
    else:
        days = (overdue["end"] - _aware(overdue["overdue_at"])).days
        text.append(
            f"超期未整改时间最长：{overdue['reference']}，{_where(overdue)}"
            f"{category_name(overdue['category'] or 'uncategorised')}，"
            f"{_day(overdue, 'created_at')}受理，{_day(overdue, 'overdue_at')}超过整改期限，"
            f"至期末已超期 {days} 天，仍未整改完毕。"
        )
    if escalated is None:
        text.append("升级最多：本期受理的隐患均未升级。")
    else:
        text.append(
            f"升级最多：{escalated['reference']}，{_where(escalated)}"
            f"{category_name(escalated['category'] or 'uncategorised')}，"
            f"{_day(escalated, 'created_at')}受理，因超时未响应升级 "
            f"{escalated['escalations']} 次，最高至第 {escalated['level']} 级。"
        )
    return Section("六、典型案例", text)


# (key, name, which way is better): the figures whose getting worse is worth a sentence
WATCHED = (
    ("ack_in_time_rate", "按时响应率", "%", +1),
    ("rectified_on_time_rate", "按期处置率", "%", +1),
    ("closed_rate", "结案率", "%", +1),
    ("reopen_rate", "返工率", "%", -1),
    ("return_visit_rate", "回访率", "%", +1),
    ("satisfaction_rate", "满意率", "%", +1),
    ("ack_minutes_median", "响应时间中位数", "min", -1),
    ("ack_minutes_p90", "响应时间 P90", "min", -1),
    ("resolve_minutes_median", "处置时间中位数", "min", -1),
    ("questions_answered_at_once_rate", "咨询即时解答率", "%", +1),
)


def problems(f: dict, unit: str = "期") -> list[str]:
    """One sentence a figure that got worse than in the period before."""
    p, said = f["previous"], []
    for key, name, how, better in WATCHED:
        now, then = f[key], p[key]
        if now is None or then is None or (now - then) * better >= 0:
            continue
        verb = "上升" if now > then else "下降"
        diff = abs(now - then)
        by = f"{diff * 100:.1f} 个百分点" if how == "%" else f"{diff:.1f} 分钟"
        said.append(
            f"{name}由上{unit}的 {shown(then, how)} {_to(now, then)} {shown(now, how)}，{verb} {by}。"
        )
    total, before = sum(f["escalations"].values()), sum(p["escalations"].values())
    if total > before:
        said.append(f"超时未响应升级由上{unit}的 {before} 次增至 {total} 次。")
    worst = [g for g in f["by_grid"] if g["score"] is not None]
    if len(worst) > 3 and worst[-1]["score"] < 60:
        last = worst[-1]
        said.append(f"{last['name']}综合得分 {last['score']:.1f} 分，排名末位，需重点督导。")
    return said


def _problems(f: dict, when: Span) -> Section:
    said = problems(f, when.unit)
    return Section("七、存在问题", said or [f"与上{when.unit}相比，各项指标均未变差。"])


def _to(now: float, then: float) -> str:
    return "升至" if now > then else "降至"


def _hours(minutes: float | None) -> str:
    if minutes is None:
        return "—"
    if minutes < 120:
        return f"{minutes:.1f} 分钟"
    return f"{minutes / 60:.1f} 小时"


def _where(case: dict) -> str:
    community, cell = case["community"] or "", case["grid_name"] or ""
    place = cell if cell.startswith(community) else community + cell
    return f"{place}（{case['grid']}），" if case["grid"] else f"{place}，" if place else ""


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite gives back naive UTC


def _day(case: dict, key: str) -> str:
    return f"{_aware(case[key]).astimezone(case['zone']):%Y-%m-%d %H:%M} "
